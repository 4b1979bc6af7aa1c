using System.Diagnostics;
using System.Text;

namespace BedrockStream.Function.Local;

/// <summary>
/// The function as a child process, with the environment Lambda would give it, leading a process group of its own
/// (<see cref="ProcessGroup"/>). Restarted when it exits (short backoff), except when it never reached its first
/// <c>/next</c> poll or keeps crashing quickly: then the host reports it and stops restarting instead of looping.
/// Stopped as Lambda shuts a runtime down: SIGTERM, then SIGKILL for whatever is still running after
/// <see cref="ShutdownGrace"/>; nothing it started outlives it.
/// </summary>
internal sealed class FunctionProcess : IAsyncDisposable
{
    private const int MaxQuickCrashes = 5;
    private static readonly TimeSpan QuickCrash = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long a stopping function may take to exit after SIGTERM: Lambda's Shutdown phase ends with SIGKILL
    /// within 2,000 ms (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
    /// </summary>
    public static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(2);

    private readonly string _command;
    private readonly IReadOnlyDictionary<string, string?> _environment;
    private readonly RuntimeEventLog _events;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<string> _gaveUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Queue<string> _lastLines = new();
    private readonly bool _ownGroup = ProcessGroup.Setsid is not null;
    private Process? _process;
    private volatile int _pid;
    private Task? _supervisor;
    private volatile bool _everPolled;

    public FunctionProcess(string command, IReadOnlyDictionary<string, string?> environment, RuntimeEventLog events, Action<string> log)
    {
        _command = command;
        _environment = environment;
        _events = events;
        _log = log;
    }

    /// <summary>Completes (with the reason) when the host stopped restarting the function.</summary>
    public Task<string> GaveUp => _gaveUp.Task;

    /// <summary>Raised with the exit code whenever the function process exits.</summary>
    public event Action<int>? Exited;

    /// <summary>The running function's pid; null when it is not running (or the host was disposed).</summary>
    public int? ProcessId
    {
        get
        {
            try
            {
                return _process is { } p && !p.HasExited ? p.Id : null;
            }
            catch (InvalidOperationException)
            {
                return null;   // the Process object was disposed with the host
            }
        }
    }

    public int Starts { get; private set; }

    public void Start()
    {
        // Should the host exit without stopping the function (a test run that ends, a SIGTERM to an in-process
        // host), the function's group would live on in its own session: it goes with the host.
        AppDomain.CurrentDomain.ProcessExit += OnHostExit;
        _supervisor = Task.Run(SuperviseAsync);
    }

    private void OnHostExit(object? sender, EventArgs e) => Kill();

    /// <summary>The function polled <c>/next</c>: it initialised, so later exits are restartable.</summary>
    public void MarkPolled() => _everPolled = true;

    /// <summary>Kills the current process and all it started (e.g. after a timed-out invocation); the supervisor starts a new one.</summary>
    public void Kill()
    {
        if (_process is not { } process) return;
        if (_ownGroup) ProcessGroup.KillGroup(_pid);
        try { process.Kill(entireProcessTree: true); }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception) { }
    }

    private async Task SuperviseAsync()
    {
        var quickCrashes = 0;
        while (!_stop.IsCancellationRequested)
        {
            Process process;
            try
            {
                process = StartProcess();
            }
            catch (Exception ex)
            {
                _gaveUp.TrySetResult($"could not start the function ({_command}): {ex.Message}");
                return;
            }
            var startedAt = Stopwatch.GetTimestamp();
            try { await ExitOf(process).WaitAsync(_stop.Token); }
            catch (OperationCanceledException) { return; }

            // A runtime that exits takes its execution environment with it: nothing it started lives on. Then its
            // output pipes close, and its last lines are read before they are reported.
            if (_ownGroup) ProcessGroup.KillGroup(process.Id);
            try { await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(2)); }
            catch (TimeoutException) { }
            var code = process.ExitCode;
            _events.Add(RuntimeEventKind.FunctionExited, statusCode: code);
            Exited?.Invoke(code);
            if (_stop.IsCancellationRequested) return;

            var ranFor = Stopwatch.GetElapsedTime(startedAt);
            if (!_everPolled)
            {
                _gaveUp.TrySetResult($"the function exited with code {code} before its first /next poll{LastOutput()}");
                return;
            }
            quickCrashes = ranFor < QuickCrash ? quickCrashes + 1 : 0;
            if (quickCrashes >= MaxQuickCrashes)
            {
                _gaveUp.TrySetResult($"the function crashed {quickCrashes} times in a row within {QuickCrash.TotalSeconds:0} s; not restarting it{LastOutput()}");
                return;
            }
            var backoff = TimeSpan.FromMilliseconds(Math.Min(2000, 100 * (1 << quickCrashes)));
            _log($"[host] the function exited with code {code} after {ranFor.TotalSeconds:0.0} s; restarting in {backoff.TotalMilliseconds:0} ms");
            try { await Task.Delay(backoff, _stop.Token); }
            catch (OperationCanceledException) { return; }
        }
    }

    private Process StartProcess()
    {
        var (fileName, arguments) = CommandLine.SplitCommand(_command);
        var info = new ProcessStartInfo(ProcessGroup.Setsid ?? fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // a function never reads stdin; it must not steal the host's console
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (ProcessGroup.Setsid is not null) info.ArgumentList.Add(fileName);
        foreach (var a in arguments) info.ArgumentList.Add(a);
        foreach (var (key, value) in _environment)
        {
            if (value is null) info.Environment.Remove(key);
            else info.Environment[key] = value;
        }
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        _pid = process.Id;
        _process = process;
        Starts++;
        _events.Add(RuntimeEventKind.FunctionStarted, detail: $"pid {process.Id}");
        return process;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            if (_lastLines.Count > 10) _lastLines.Dequeue();
        }
        _log("[function] " + line);
    }

    private string LastOutput()
    {
        lock (_lastLines)
            return _lastLines.Count == 0 ? " (no output)" : ". Its last output:" + Environment.NewLine + string.Join(Environment.NewLine, _lastLines.Select(l => "  " + l));
    }

    /// <summary>
    /// Completes when the process exits. Not <see cref="Process.WaitForExitAsync"/>: that also waits for the end of
    /// the output pipes, which a grandchild still running holds open.
    /// </summary>
    private static Task ExitOf(Process process)
    {
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.Exited += (_, _) => exited.TrySetResult();
        process.EnableRaisingEvents = true;
        if (process.HasExited) exited.TrySetResult();
        return exited.Task;
    }

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnHostExit;
        _stop.Cancel();
        // The supervisor first, so that no new process starts while the last one stops.
        if (_supervisor is not null)
        {
            try { await _supervisor.WaitAsync(TimeSpan.FromSeconds(5)); }
            catch (TimeoutException) { }
        }
        if (_process is not { } process) return;
        try
        {
            if (!process.HasExited && ProcessGroup.Terminate(process.Id, _ownGroup))
            {
                try { await ExitOf(process).WaitAsync(ShutdownGrace); }
                catch (TimeoutException) { }   // it ignored SIGTERM
            }
            Kill();   // a function still running, and whatever it started
            try { await ExitOf(process).WaitAsync(TimeSpan.FromSeconds(5)); }
            catch (TimeoutException) { }
        }
        finally
        {
            process.Dispose();
        }
    }
}
