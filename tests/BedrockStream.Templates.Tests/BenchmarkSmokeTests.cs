using BedrockStream.Templates.Tests.Infrastructure;

namespace BedrockStream.Templates.Tests;

/// <summary>
/// The performance benchmark (tests/BedrockStream.Benchmark, PRODUCT.md §7) run with <c>--quick</c>, so it
/// never rots: it must build, publish and install every variant, measure each at a CPU share (where this
/// machine has cgroup-v1 quotas) with Bedrock over HTTPS, and print every figure and the cost table. Its numbers
/// are not asserted: timings on a shared machine belong in a benchmark, never in a unit test.
/// </summary>
[Collection(BuildCollection.Name)]
public class BenchmarkSmokeTests
{
    /// <summary>The start of every row of the main table (the RSS labels carry the quick run's checkpoints).</summary>
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

    /// <summary>The figures of the CPU-share table; each has one row per share, "… @ &lt;share&gt;".</summary>
    private static readonly string[] ShareFigures =
    [
        "| cold start, ms (process start → first /next)",
        "| cold first chunk, ms (process start → first chunk)",
        "| first byte warm, ms (/next sent → prelude)",
        "| added latency per token, ms (model send → Runtime API)",
        "| RSS after the share's invocations, MB",
    ];

    /// <summary>The quick run's limited share (BenchmarkSettings.QuickRun).</summary>
    private const string QuickShare = "@ 1,024 MB";

    [Fact]
    public async Task Quick_benchmark_completes_and_prints_every_figure()
    {
        var project = Path.Combine(RepoPaths.Root, "tests", "BedrockStream.Benchmark");
        // The first run publishes the function twice with Native AOT and installs the Node.js peer (whose runtime
        // client builds a native part): many minutes on 2 cores, which .ci/run spends ahead (--prepare); later runs
        // reuse both.
        var run = await Dotnet.RunAsync(["run", "--project", project, "-c", "Release", "--", "--quick"], RepoPaths.Root, TimeSpan.FromMinutes(30));
        run.EnsureSuccess();
        var output = run.StdOut;
        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();

        var main = Table(lines, "## Results");
        var header = Cells(main[0]);
        foreach (var column in new[] { "AOT", "Python (recipe)", "AOT ÷ Python" })
            Assert.True(header.Contains(column), $"no '{column}' column in:\n{output}");
        // Node.js is measured wherever node and npm are installed, and said to be left out otherwise.
        Assert.True(header.Contains("Node.js (RIC)") && header.Contains("AOT ÷ Node") || output.Contains("Node.js peer left out", StringComparison.Ordinal),
            $"the Node.js peer is neither measured nor said to be left out:\n{output}");
        foreach (var row in FigureRows) AssertFilledRow(main, row, output);
        var variantCount = header.Count(h => !h.Contains('÷')) - 3; // figure, target, …variants…, met
        var failed = Cells(main.First(l => l.StartsWith("| failed invocations", StringComparison.Ordinal)));
        Assert.All(failed.Skip(2).Take(variantCount), c => Assert.Equal("0", c));

        var shares = Table(lines, "## By CPU share");
        var quotaMeasured = shares.Any(l => l.Contains(QuickShare, StringComparison.Ordinal));
        Assert.True(quotaMeasured || output.Contains("NOT MEASURED", StringComparison.Ordinal),
            $"the {QuickShare} share is neither measured nor said to be impossible here:\n{output}");
        foreach (var figure in ShareFigures)
        {
            AssertFilledRow(shares, figure + " @ unlimited", output);
            if (quotaMeasured) AssertFilledRow(shares, $"{figure} {QuickShare}", output);
        }
        if (quotaMeasured) Assert.Contains("Quota in force", output, StringComparison.Ordinal);

        var cost = Table(lines, "## Cost of 1,000 answers");
        foreach (var memory in new[] { "128 MB", "256 MB", "512 MB", "1,024 MB", "1,769 MB" })
        foreach (var arch in new[] { "x86_64", "arm64" })
        {
            var row = cost.Select(Cells).FirstOrDefault(c => c[0] == memory && c[1] == arch);
            Assert.True(row is not null, $"no cost row for {memory} {arch} in:\n{output}");
            Assert.All(row!, c => Assert.NotEqual("", c));
            Assert.All(row!.Skip(3), c => Assert.StartsWith("$", c));
        }
        Assert.Contains("https://aws.amazon.com/lambda/pricing/", output, StringComparison.Ordinal);
        Assert.Contains("https://aws.amazon.com/bedrock/pricing/", output, StringComparison.Ordinal);
    }

    /// <summary>The table lines right after the heading that starts with <paramref name="heading"/>.</summary>
    private static List<string> Table(List<string> lines, string heading)
    {
        var at = lines.FindIndex(l => l.StartsWith(heading, StringComparison.Ordinal));
        Assert.True(at >= 0, $"no '{heading}' heading in:\n{string.Join('\n', lines)}");
        var table = lines.Skip(at + 1).SkipWhile(l => !l.StartsWith('|')).TakeWhile(l => l.StartsWith('|')).ToList();
        Assert.True(table.Count > 2, $"no table under '{heading}'");
        return table;
    }

    private static List<string> Cells(string line) => line.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToList();

    /// <summary>The row exists and every cell holds a value: a missing figure would leave one empty.</summary>
    private static void AssertFilledRow(List<string> table, string start, string output)
    {
        var line = table.FirstOrDefault(l => l.StartsWith(start, StringComparison.Ordinal));
        Assert.True(line is not null, $"no row '{start}' in:\n{output}");
        Assert.All(Cells(line!), c => Assert.NotEqual("", c));
    }
}
