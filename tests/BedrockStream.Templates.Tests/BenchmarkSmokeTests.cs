using BedrockStream.Templates.Tests.Infrastructure;

namespace BedrockStream.Templates.Tests;

/// <summary>
/// The performance benchmark (tests/BedrockStream.Benchmark, PRODUCT.md §7) run with <c>--quick</c>, so it
/// never rots: it must build, publish the function, measure every variant and print every figure. Its numbers
/// are not asserted: timings on a shared machine belong in a benchmark, never in a unit test.
/// </summary>
[Collection(BuildCollection.Name)]
public class BenchmarkSmokeTests
{
    /// <summary>The start of every row of the table (the RSS labels carry the quick run's checkpoints).</summary>
    private static readonly string[] FigureRows =
    [
        "| added latency per token",
        "|   same, at the Runtime API",
        "| first byte warm",
        "|   same, /next sent",
        "| cold start",
        "| cold first chunk",
        "| relay throughput",
        "| RSS @ 100 invocations",
        "| RSS @ 1,000 invocations",
        "| RSS growth",
        "| open fds",
        "| failed invocations",
        "| artifact zip",
    ];

    [Fact]
    public async Task Quick_benchmark_completes_and_prints_every_figure()
    {
        var project = Path.Combine(RepoPaths.Root, "tests", "BedrockStream.Benchmark");
        // The first run publishes the function with Native AOT (a few minutes on 2 cores); later runs are incremental.
        var run = await Dotnet.RunAsync(["run", "--project", project, "-c", "Release", "--", "--quick"], RepoPaths.Root, TimeSpan.FromMinutes(15));
        run.EnsureSuccess();

        var table = run.StdOut.Split('\n').Where(l => l.StartsWith('|')).ToList();
        var header = table.FirstOrDefault() ?? "";
        foreach (var column in new[] { "AOT", "Python baseline", "AOT ÷ baseline" })
            Assert.True(header.Contains(column, StringComparison.Ordinal), $"no '{column}' column in:\n{run.StdOut}");
        foreach (var row in FigureRows)
        {
            var line = table.FirstOrDefault(l => l.StartsWith(row, StringComparison.Ordinal));
            Assert.True(line is not null, $"no row '{row}' in:\n{run.StdOut}");
            // Every cell holds a value: a missing figure would leave one empty.
            var cells = line!.Trim('|').Split('|').Skip(2).Select(c => c.Trim()).ToList();
            Assert.All(cells, c => Assert.NotEqual("", c));
        }
        // The soak is meant to be clean on every variant.
        var failed = table.First(l => l.StartsWith("| failed invocations", StringComparison.Ordinal)).Split('|').Select(c => c.Trim()).ToList();
        Assert.True(failed[3] == "0" && failed[4] == "0", "failed invocations: " + string.Join(" | ", failed));
    }
}
