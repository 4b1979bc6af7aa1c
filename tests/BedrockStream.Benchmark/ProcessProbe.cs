using System.Globalization;

namespace BedrockStream.Benchmark;

/// <summary>Resident memory and open file descriptors of a process, from /proc (Linux, like Lambda).</summary>
internal static class ProcessProbe
{
    public static double RssMegabytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        throw new InvalidOperationException($"no VmRSS for process {pid}");
    }

    public static int OpenFds(int pid) => Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;

    /// <summary>
    /// CPU time the process has run so far, in ms: the sum over its threads of the first field of
    /// <c>/proc/&lt;pid&gt;/task/&lt;tid&gt;/schedstat</c> (time on a CPU, in ns; https://docs.kernel.org/scheduler/sched-stats.html).
    /// Threads that already ended are not counted. Unlike wall time it hardly moves with the load on the machine, so it
    /// shows where a CPU quota will bite. Null where the kernel has no schedstat.
    /// </summary>
    public static double? CpuMilliseconds(int pid)
    {
        try
        {
            long nanoseconds = 0;
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var text = File.ReadAllText(Path.Combine(task, "schedstat"));
                nanoseconds += long.Parse(text.AsSpan(0, text.IndexOf(' ')), CultureInfo.InvariantCulture);
            }
            return nanoseconds / 1e6;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
