using System.Globalization;

namespace BedrockStream.Benchmark;

/// <summary>
/// One cgroup-v1 CPU cgroup per <see cref="CpuShare"/> and variant (e.g. <c>mb128-AOT</c>), under
/// <c>/sys/fs/cgroup/cpu/bench-&lt;pid&gt;/</c>, so that an idle variant's background work never eats into the
/// quota of the one being measured. Each has the
/// CFS bandwidth control of the kernel's sched-bwc.rst: <c>cpu.cfs_period_us</c> = 100 ms and
/// <c>cpu.cfs_quota_us</c> = share × period, so the group runs at most share × one CPU
/// (https://docs.kernel.org/scheduler/sched-bwc.html). The unlimited size gets a group too (quota -1), so that
/// every size starts its function the same way.
/// <para>
/// A function process enters its group before it runs a single instruction of its own: it is started as
/// <c>/bin/sh -c 'echo $$ &gt; …/cgroup.procs &amp;&amp; exec "$@"'</c>, i.e. the shell moves itself into the group and then
/// execs the function in its place (same pid). Start-up is therefore limited too, which the cold figures need;
/// the shell's own start (well under a millisecond of CPU) is paid by every variant at every size alike.
/// </para>
/// Created by <see cref="TryCreate"/>, removed by <see cref="Dispose"/> (after the processes in them ended).
/// </summary>
internal sealed class CpuQuotaCgroups : IDisposable
{
    private const string Hierarchy = "/sys/fs/cgroup/cpu";
    private const long PeriodMicroseconds = 100_000;
    private const string EnterAndExec = "echo $$ > \"$0\" && exec \"$@\"";

    private readonly string _parent;
    private readonly Dictionary<(CpuShare, string), string> _groups;

    private CpuQuotaCgroups(string parent, Dictionary<(CpuShare, string), string> groups)
    {
        _parent = parent;
        _groups = groups;
    }

    /// <summary>The cgroups for <paramref name="shares"/> × <paramref name="variants"/>, or null with the reason they cannot be made here.</summary>
    public static CpuQuotaCgroups? TryCreate(IReadOnlyList<CpuShare> shares, IReadOnlyList<string> variants, out string? whyNot)
    {
        whyNot = null;
        if (!File.Exists(Path.Combine(Hierarchy, "cpu.cfs_quota_us")))
        {
            whyNot = $"no cgroup-v1 cpu controller at {Hierarchy} (cgroup v2 only, or no CPU bandwidth control); only cgroup v1 is supported";
            return null;
        }
        var parent = Path.Combine(Hierarchy, $"bench-{Environment.ProcessId}");
        var groups = new Dictionary<(CpuShare, string), string>();
        try
        {
            Directory.CreateDirectory(parent);
            foreach (var share in shares.Distinct())
            foreach (var variant in variants.Distinct())
            {
                var group = Path.Combine(parent, $"{share.Slug}-{variant}");
                Directory.CreateDirectory(group);
                groups[(share, variant)] = group;
                // The period first: a quota is checked against it.
                File.WriteAllText(Path.Combine(group, "cpu.cfs_period_us"), PeriodMicroseconds.ToString(CultureInfo.InvariantCulture));
                File.WriteAllText(Path.Combine(group, "cpu.cfs_quota_us"), share.QuotaMicroseconds(PeriodMicroseconds).ToString(CultureInfo.InvariantCulture));
            }
            return new CpuQuotaCgroups(parent, groups);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            whyNot = $"could not create a cgroup under {Hierarchy} ({e.Message}; creating one needs root)";
            new CpuQuotaCgroups(parent, groups).Dispose();
            return null;
        }
    }

    /// <summary>The command that runs <paramref name="fileName"/> inside the group of <paramref name="share"/> and <paramref name="variant"/>.</summary>
    public (string FileName, IReadOnlyList<string> Arguments) Wrap(string fileName, IReadOnlyList<string> arguments, CpuShare share, string variant) =>
        ("/bin/sh", ["-c", EnterAndExec, Path.Combine(_groups[(share, variant)], "cgroup.procs"), fileName, .. arguments]);

    /// <summary>Moves a running process (all its threads: cgroup v1's cgroup.procs) into the group of <paramref name="share"/> and <paramref name="variant"/>.</summary>
    public void Move(int processId, CpuShare share, string variant) =>
        File.WriteAllText(Path.Combine(_groups[(share, variant)], "cgroup.procs"), processId.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// How often the quota of a share bit, over all its variants (cpu.stat's nr_throttled / nr_periods and
    /// throttled_time): the proof that the limit was in force, e.g. "812 of 2,035 periods throttled, 70.1 s".
    /// </summary>
    public string Throttling(CpuShare share)
    {
        long periods = 0, throttled = 0, nanoseconds = 0;
        foreach (var ((groupShare, _), group) in _groups)
        {
            if (groupShare != share) continue;
            foreach (var line in File.ReadAllLines(Path.Combine(group, "cpu.stat")))
            {
                var parts = line.Split(' ');
                if (parts.Length != 2 || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var value)) continue;
                switch (parts[0])
                {
                    case "nr_periods": periods += value; break;
                    case "nr_throttled": throttled += value; break;
                    case "throttled_time": nanoseconds += value; break;
                }
            }
        }
        return string.Create(CultureInfo.InvariantCulture, $"{throttled:N0} of {periods:N0} periods throttled, {nanoseconds / 1e9:0.0} s");
    }

    /// <summary>rmdir of each group, then of the parent; a group still holding a process stays (and is named).</summary>
    public void Dispose()
    {
        foreach (var group in _groups.Values.Append(_parent))
        {
            try
            {
                if (Directory.Exists(group)) Directory.Delete(group, recursive: false);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"could not remove cgroup {group}: {e.Message}");
            }
        }
    }
}
