using System.Diagnostics;

namespace BedrockStream.Benchmark;

/// <summary>
/// The function processes the cold-start samples start themselves: each is killed after its sample, and
/// whatever is still alive when the benchmark ends (error, Ctrl+C) is killed by <see cref="KillAll"/>.
/// </summary>
internal static class ChildProcesses
{
    private static readonly HashSet<Process> Running = new();

    public static Process Start(ProcessStartInfo start)
    {
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        lock (Running) Running.Add(process);
        process.StandardInput.Close();
        // Drained, so a chatty function never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
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
    }
}
