using System.Diagnostics;
using System.Globalization;
using BedrockStream.Function.Tests.EndToEnd;
using Xunit.Abstractions;

namespace BedrockStream.Function.Tests.Reliability;

/// <summary>
/// The short soak (issue 5, point 3; the 10,000-invocation run is the benchmark's): 300 sequential
/// invocations through the host at the fake model's full speed, with no failure, no leaked file
/// descriptor or socket, and no RSS growth worth the name in the function process.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class SoakTests(ReliabilityHost fixture, ITestOutputHelper output)
{
    private const int Invocations = 300;
    private const int Baseline = 50;
    private const int AllowedFdGrowth = 2;
    private const long AllowedRssGrowthKb = 5 * 1024;

    [Fact]
    public async Task Three_hundred_sequential_invocations_fail_none_and_leak_no_descriptors_or_memory()
    {
        // Its own function process, tuned so that what grows is what leaks: no tiered JIT (re-compiling hot
        // methods at tier 1 maps code and loads assemblies late; a Native AOT build does neither), and a 1 MB
        // gen0 budget (hex; by default it follows the CPU's L3 cache, tens of MB that fill before the first GC).
        var log = new LogCapture();
        await using var host = await ReliabilityHost.StartAsync(log, o =>
        {
            o.Environment["DOTNET_TieredCompilation"] = "0";
            o.Environment["DOTNET_GCgen0size"] = "100000";
        });
        var pid = host.FunctionProcessId ?? throw new InvalidOperationException("no function process");
        var failures = new List<string>();
        ProcessStats? atBaseline = null;
        var started = Stopwatch.GetTimestamp();

        for (var i = 1; i <= Invocations; i++)
        {
            var response = await StreamedResponse.PostJsonAsync(fixture.Http, host.FunctionUrl, new { prompt = $"#tokens:16 soak invocation {i}" }, ReliabilityHost.Wait);
            var events = response.Events();
            if (response.Status != 200 || response.Broken is not null || events.Count != 17 || events[^1].Type != "done")
                failures.Add($"#{i}: {response.Status} {response.Broken?.Message} {events.Count} events, last {(events.Count > 0 ? events[^1].Type : "-")}");
            if (i == Baseline)
                atBaseline = ProcessStats.Read(pid);
        }
        var atEnd = ProcessStats.Read(pid);
        var elapsed = Stopwatch.GetElapsedTime(started);

        output.WriteLine($"{Invocations} invocations in {elapsed.TotalSeconds:0.0} s ({elapsed.TotalMilliseconds / Invocations:0.00} ms each)");
        output.WriteLine($"after #{Baseline}: {atBaseline}; after #{Invocations}: {atEnd}");
        Assert.True(failures.Count == 0, $"{failures.Count} failed invocations: {string.Join("; ", failures.Take(5))}{Environment.NewLine}{log.Recent(20)}");
        Assert.Equal(Invocations, host.FakeModel!.RequestCount);
        Assert.Equal(pid, host.FunctionProcessId);
        Assert.DoesNotContain(host.Events.Snapshot(), e => e.Kind is Local.RuntimeEventKind.FunctionExited or Local.RuntimeEventKind.ResponseFailed or Local.RuntimeEventKind.TrailersReceived);
        Assert.True(atEnd.Fds <= atBaseline!.Fds + AllowedFdGrowth, $"file descriptors grew from {atBaseline.Fds} to {atEnd.Fds}");
        Assert.True(atEnd.Sockets <= atBaseline.Sockets + AllowedFdGrowth, $"sockets grew from {atBaseline.Sockets} to {atEnd.Sockets}");
        Assert.True(atEnd.RssKb - atBaseline.RssKb < AllowedRssGrowthKb, $"RSS grew by {(atEnd.RssKb - atBaseline.RssKb) / 1024.0:0.0} MB, from {atBaseline.RssKb / 1024.0:0.0} to {atEnd.RssKb / 1024.0:0.0} MB");
    }

    /// <summary>Open file descriptors (and how many are sockets) and resident memory of a process, from /proc.</summary>
    private sealed record ProcessStats(int Fds, int Sockets, long RssKb)
    {
        public static ProcessStats Read(int pid)
        {
            int fds = 0, sockets = 0;
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                fds++;
                try
                {
                    if (new FileInfo(fd).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true) sockets++;
                }
                catch (IOException) { } // closed while listing
            }
            var rss = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            var kb = long.Parse(rss["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            return new ProcessStats(fds, sockets, kb);
        }

        public override string ToString() => $"{Fds} fds ({Sockets} sockets), RSS {RssKb / 1024.0:0.0} MB";
    }
}
