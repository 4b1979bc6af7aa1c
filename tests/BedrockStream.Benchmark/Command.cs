using System.ComponentModel;
using System.Diagnostics;

namespace BedrockStream.Benchmark;

/// <summary>What a finished command printed, and how it ended.</summary>
internal sealed record CommandResult(int ExitCode, string StdOut, string StdErr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The last lines of both outputs, for an error message.</summary>
    public string Tail(int lines = 30) =>
        string.Join('\n', (StdOut + "\n" + StdErr).Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(lines));
}

/// <summary>Runs the tools the benchmark prepares its variants with (dotnet, git, npm, python3), bounded in time.</summary>
internal static class Command
{
    /// <summary>Runs to the end (or kills it at <paramref name="timeout"/>); null when the program is not installed.</summary>
    public static async Task<CommandResult?> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout,
        string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        }
        catch (Win32Exception)
        {
            return null;
        }
        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            try
            {
                await process.WaitForExitAsync().WaitAsync(timeout);
            }
            catch (TimeoutException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                return new CommandResult(-1, await stdout, await stderr + $"\n(killed after {timeout.TotalMinutes:0} min)");
            }
            return new CommandResult(process.ExitCode, await stdout, await stderr);
        }
    }

    /// <summary>Like <see cref="RunAsync"/>, but a missing program or a non-zero exit is an error naming <paramref name="what"/>.</summary>
    public static async Task<CommandResult> RunCheckedAsync(string what, string fileName, IEnumerable<string> arguments, TimeSpan timeout,
        string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var result = await RunAsync(fileName, arguments, timeout, workingDirectory, environment)
            ?? throw new InvalidOperationException($"{what}: {fileName} is not installed");
        if (!result.Succeeded)
            throw new InvalidOperationException($"{what} failed with exit {result.ExitCode}:\n{result.Tail()}");
        return result;
    }
}
