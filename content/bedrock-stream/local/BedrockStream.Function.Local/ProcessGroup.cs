using System.Runtime.InteropServices;

namespace BedrockStream.Function.Local;

/// <summary>
/// The function runs as the leader of a process group of its own, started through <c>setsid</c> (util-linux, which
/// execs in place: the function keeps the pid the host sees, and that pid is its group id). Then one signal to the
/// group reaches every process the function started, also a grandchild whose parent already exited (<c>npx</c> →
/// <c>node</c>, <c>sh -c</c> → a program), and a Ctrl+C in the host's terminal reaches only the host, which stops the
/// function in order. Without <c>setsid</c> (macOS, Windows) the function shares the host's group and is signalled alone.
/// https://man7.org/linux/man-pages/man1/setsid.1.html, https://man7.org/linux/man-pages/man2/kill.2.html
/// </summary>
internal static class ProcessGroup
{
    private const int SigKill = 9, SigTerm = 15;   // the same numbers on Linux and macOS

    /// <summary>The <c>setsid</c> executable, or null where there is none.</summary>
    public static string? Setsid { get; } = OperatingSystem.IsWindows() ? null : FindOnPath("setsid");

    /// <summary>Asks the function (its whole group, when it leads one) to stop; false where there are no signals.</summary>
    public static bool Terminate(int pid, bool group) => !OperatingSystem.IsWindows() && kill(group ? -pid : pid, SigTerm) == 0;

    /// <summary>Kills every process left in the function's group (none is an error: the group is gone).</summary>
    public static void KillGroup(int pid)
    {
        if (!OperatingSystem.IsWindows()) kill(-pid, SigKill);
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
