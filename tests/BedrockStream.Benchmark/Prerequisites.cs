using System.Diagnostics;

namespace BedrockStream.Benchmark;

/// <summary>The baseline needs python3 with requests (.ci/run installs Debian's python3-requests where missing).</summary>
internal static class Prerequisites
{
    public static async Task CheckAsync()
    {
        var start = new ProcessStartInfo("python3") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("import requests");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 is not installed");
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"the baseline needs python3 with requests (apt-get install python3-requests): {error.Trim()}");
    }
}
