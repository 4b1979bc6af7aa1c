using System.Diagnostics;
using System.Text;
using BedrockStream.Function.Local;
using BedrockStream.Function.Tests.EndToEnd;

namespace BedrockStream.Function.Tests.Host;

/// <summary>
/// Stopping the host stops the function as Lambda shuts a runtime down (SIGTERM, then SIGKILL after a grace period),
/// and nothing the function started outlives the host: not a child, not a grandchild whose parent already exited.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class HostShutdownTests
{
    private const int SigInt = 2, SigTerm = 15;

    /// <summary>
    /// Ignores SIGTERM, and so does its child (an ignored signal stays ignored across exec); the grandchild's parent
    /// exits at once, so the grandchild is no longer in the function's process tree, only in its process group.
    /// </summary>
    private const string IgnoresSigterm = """
        trap '' TERM
        sleep 600 &
        child=$!
        orphan=$( (sleep 600 >/dev/null 2>&1 & echo $!) )
        echo "$$ $child $orphan" > pids
        """;

    [LinuxTheory]
    [InlineData(SigInt)]
    [InlineData(SigTerm)]
    public async Task A_signal_stops_the_host_and_every_process_of_a_function_that_ignores_SIGTERM(int signal)
    {
        using var function = new BashFunction(IgnoresSigterm);
        using var host = HostProcess.Start(function.Command);
        try
        {
            await host.Ready.WaitAsync(TimeSpan.FromSeconds(60));
            var pids = Pids(function);
            Assert.All(pids, pid => Assert.True(Processes.IsRunning(pid), $"process {pid} of the function is not running"));

            Processes.Signal(host.Process.Id, signal);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await host.Process.WaitForExitAsync(timeout.Token);

            Assert.True(host.Process.ExitCode == 0, $"the host exited with {host.Process.ExitCode}:\n{host.Output}");
            await Processes.AssertAllGoneAsync(pids, TimeSpan.FromSeconds(10));
        }
        finally
        {
            if (!host.Process.HasExited) host.Process.Kill(entireProcessTree: true);
        }
    }

    [LinuxFact]
    public async Task Disposing_the_host_kills_a_function_that_ignores_SIGTERM_and_all_it_started_after_the_grace_period()
    {
        using var function = new BashFunction(IgnoresSigterm);
        await using var host = await LocalHost.StartAsync(function.HostOptions());
        var pids = Pids(function);
        Assert.All(pids, pid => Assert.True(Processes.IsRunning(pid), $"process {pid} of the function is not running"));
        // setsid execs in place: the process the host knows is the function itself (the benchmark measures it by this id).
        Assert.Equal(pids[0], host.FunctionProcessId);

        var clock = Stopwatch.StartNew();
        await host.DisposeAsync();

        var bound = LocalHost.FunctionShutdownGrace + TimeSpan.FromSeconds(5);
        Assert.True(clock.Elapsed < bound, $"disposing took {clock.Elapsed.TotalSeconds:0.0} s (grace {LocalHost.FunctionShutdownGrace.TotalSeconds:0.0} s)");
        await Processes.AssertAllGoneAsync(pids, TimeSpan.FromSeconds(10));
    }

    [LinuxFact]
    public async Task Stopping_sends_SIGTERM_first_so_that_a_function_can_end_cleanly()
    {
        // SIGKILL cannot be trapped: the file exists only if the function got SIGTERM.
        using var function = new BashFunction("trap 'echo cleaned up > sigterm; exit 0' TERM");
        await using var host = await LocalHost.StartAsync(function.HostOptions());

        await host.DisposeAsync();

        Assert.True(File.Exists(function.FileOf("sigterm")), "the function did not get SIGTERM");
        Assert.Equal("cleaned up", File.ReadAllText(function.FileOf("sigterm")).Trim());
    }

    private static int[] Pids(BashFunction function) =>
        File.ReadAllText(function.FileOf("pids")).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();

    /// <summary>The local host as its own process, as <c>dotnet run</c> starts it, on free ports with the fake model.</summary>
    private sealed class HostProcess : IDisposable
    {
        private readonly StringBuilder _output = new();
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private HostProcess(Process process) => Process = process;

        public Process Process { get; }

        /// <summary>Completes when the host printed its URLs: the function has polled /next.</summary>
        public Task Ready => _ready.Task;

        public string Output { get { lock (_output) return _output.ToString(); } }

        public static HostProcess Start(string functionCommand)
        {
            var start = new ProcessStartInfo(FunctionLocator.DotnetHost().Trim('"'))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { typeof(LocalHost).Assembly.Location, "--port", "0", "--fake-model", "--function-command", functionCommand })
                start.ArgumentList.Add(argument);
            var host = new HostProcess(new Process { StartInfo = start, EnableRaisingEvents = true });
            host.Process.OutputDataReceived += (_, e) => host.OnLine(e.Data);
            host.Process.ErrorDataReceived += (_, e) => host.OnLine(e.Data);
            host.Process.Exited += (_, _) => host._ready.TrySetException(new InvalidOperationException("the host exited early:\n" + host.Output));
            host.Process.Start();
            host.Process.BeginOutputReadLine();
            host.Process.BeginErrorReadLine();
            return host;
        }

        private void OnLine(string? line)
        {
            if (line is null) return;
            lock (_output) _output.AppendLine(line);
            // The banner's last line, printed once the front listens, whichever front the project deploys.
            if (line.StartsWith("Ctrl+C stops everything", StringComparison.Ordinal)) _ready.TrySetResult();
        }

        public void Dispose() => Process.Dispose();
    }
}
