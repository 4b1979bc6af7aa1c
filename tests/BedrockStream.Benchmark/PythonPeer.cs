using System.Diagnostics;

namespace BedrockStream.Benchmark;

/// <summary>
/// The baseline needs a Python 3 with requests: <c>python3</c> on PATH, else the system's
/// <c>/usr/bin/python3</c> (where .ci/run installs Debian's python3-requests when neither has it).
/// </summary>
internal static class Prerequisites
{
    private static readonly string[] Candidates = ["python3", "/usr/bin/python3"];

    /// <summary>The interpreter the baseline runs with, found by <see cref="CheckAsync"/>.</summary>
    public static string Python { get; private set; } = "python3";

    public static async Task CheckAsync()
    {
        var errors = new List<string>();
        foreach (var candidate in Candidates)
        {
            var error = await TryImportRequestsAsync(candidate);
            if (error is null)
            {
                Python = candidate;
                return;
            }
            errors.Add($"{candidate}: {error}");
        }
        throw new InvalidOperationException("the baseline needs python3 with requests (apt-get install python3-requests): " + string.Join("; ", errors));
    }

    private static async Task<string?> TryImportRequestsAsync(string python)
    {
        var start = new ProcessStartInfo(python) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("import requests");
        try
        {
            using var process = Process.Start(start)!;
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return process.ExitCode == 0 ? null : error.Trim();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return e.Message;   // not installed
        }
    }
}
