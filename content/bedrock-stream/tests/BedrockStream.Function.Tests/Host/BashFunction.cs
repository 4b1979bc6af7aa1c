using System.Runtime.InteropServices;
using BedrockStream.Function.Local;

namespace BedrockStream.Function.Tests.Host;

/// <summary>
/// A function written in bash, for the tests of how the host runs a function process: a file named <c>bootstrap</c>
/// (so the host takes its folder as <c>LAMBDA_TASK_ROOT</c>) that runs <c>body</c> in its folder, then long-polls <c>/next</c>
/// through bash's <c>/dev/tcp</c> (no curl needed) until the host answers or goes away.
/// </summary>
internal sealed class BashFunction : IDisposable
{
    public BashFunction(string body)
    {
        Folder = Directory.CreateTempSubdirectory("bash-function-").FullName;
        File.WriteAllText(Bootstrap, $$"""
            cd "$(dirname "$0")"
            {{body}}
            api="$AWS_LAMBDA_RUNTIME_API"
            exec 3<>"/dev/tcp/${api%:*}/${api#*:}"
            printf 'GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: %s\r\n\r\n' "$api" >&3
            read -r _ <&3
            """.ReplaceLineEndings("\n"));
    }

    public string Folder { get; }

    public string Bootstrap => Path.Combine(Folder, "bootstrap");

    /// <summary>The host's function command.</summary>
    public string Command => $"bash \"{Bootstrap}\"";

    /// <summary>A local host (fake model) that runs this function.</summary>
    public LocalHostOptions HostOptions() => new()
    {
        FunctionCommand = Command,
        StartupTimeout = TimeSpan.FromSeconds(20),
        FunctionTimeout = TimeSpan.FromSeconds(30),
        Log = _ => { },
    };

    /// <summary>A file the function writes into its folder (before it polls: complete once the host has started).</summary>
    public string FileOf(string name) => Path.Combine(Folder, name);

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>Processes by id, as Linux shows them in /proc.</summary>
internal static class Processes
{
    /// <summary>True while the process runs: /proc lists it and it is not a zombie waiting to be reaped.</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Waits (with a timeout, polling /proc) until none of <paramref name="pids"/> runs; fails naming the survivors.</summary>
    public static async Task AssertAllGoneAsync(IReadOnlyCollection<int> pids, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (pids.Any(IsRunning) && DateTime.UtcNow < deadline) await Task.Delay(20);
        var survivors = pids.Where(IsRunning).ToList();
        Assert.True(survivors.Count == 0, "still running: " + string.Join(", ", survivors.Select(p => $"{p} ({Command(p)})")));
    }

    /// <summary>Sends a POSIX signal (kill(2)).</summary>
    public static void Signal(int pid, int signal) => Assert.Equal(0, kill(pid, signal));

    private static string Command(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim(); }
        catch (IOException) { return "?"; }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}

/// <summary>A fact about POSIX signals, process groups and /proc: skipped where they are not as on Linux.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "needs Linux (POSIX signals, process groups, /proc)";
    }
}

/// <summary>The theory form of <see cref="LinuxFactAttribute"/>.</summary>
public sealed class LinuxTheoryAttribute : TheoryAttribute
{
    public LinuxTheoryAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "needs Linux (POSIX signals, process groups, /proc)";
    }
}
