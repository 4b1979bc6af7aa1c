using System.Diagnostics;

namespace BedrockStream.Benchmark;

/// <summary>
/// The function processes the cold-start samples start themselves: each is killed after its sample, and
/// whatever is still alive when the benchmark ends (error, Ctrl+C) is killed by <see cref="KillAll"/>.
/// </summary>
internal static class ChildProcesses
{
    private static readonly HashSet<Process> Running = new();
    private static readonly List<Func<int?>> HostedFunctions = new();

    /// <summary>
    /// A function process that a local host supervises: normally the host stops it when disposed, but Ctrl+C
    /// skips that, so <see cref="KillAll"/> kills it by id as well.
    /// </summary>
    /// <returns>Disposed before the host is: a disposed host's process id is not to be asked for.</returns>
    public static IDisposable Watch(Func<int?> processId)
    {
        lock (HostedFunctions) HostedFunctions.Add(processId);
        return new Unwatch(processId);
    }

    private sealed class Unwatch(Func<int?> processId) : IDisposable
    {
        public void Dispose()
        {
            lock (HostedFunctions) HostedFunctions.Remove(processId);
        }
    }

    /// <summary>Starts a function process; its output is drained (a chatty function must never block on a full pipe) into <paramref name="output"/>.</summary>
    public static Process Start(ProcessStartInfo start, Action<string?>? output = null)
    {
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        lock (Running) Running.Add(process);
        process.StandardInput.Close();
        process.OutputDataReceived += (_, e) => output?.Invoke(e.Data);
        process.ErrorDataReceived += (_, e) => output?.Invoke(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        lock (Running) Running.Remove(process);
        process.Dispose();
    }

    public static void KillAll()
    {
        Process[] left;
        lock (Running) left = Running.ToArray();
        foreach (var p in left) Stop(p);
        Func<int?>[] hosted;
        lock (HostedFunctions) hosted = HostedFunctions.ToArray();
        foreach (var processId in hosted)
        {
            try
            {
                if (processId() is not { } pid) continue;
                using var p = Process.GetProcessById(pid);
                p.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // Already stopped (by its host, or just now).
            }
        }
    }
}
