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
}
