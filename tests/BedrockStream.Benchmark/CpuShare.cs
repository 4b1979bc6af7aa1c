using System.Globalization;

namespace BedrockStream.Benchmark;

/// <summary>
/// The CPU a Lambda function of a given memory size gets: Lambda allocates CPU in proportion to memory, one vCPU
/// at 1,769 MB (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). Null memory = no limit
/// (the whole machine).
/// </summary>
internal sealed record CpuShare(int? MemoryMb)
{
    public const int OneVcpuMegabytes = 1769;

    public static readonly CpuShare Unlimited = new((int?)null);

    /// <summary>vCPUs at this size (memory ÷ 1,769 MB), or null when unlimited.</summary>
    public double? Vcpus => MemoryMb / (double)OneVcpuMegabytes;

    public bool IsLimited => MemoryMb is not null;

    /// <summary>The CFS quota per period that gives this share: share × period.</summary>
    public long QuotaMicroseconds(long periodMicroseconds) =>
        Vcpus is { } v ? (long)Math.Round(v * periodMicroseconds) : -1;

    /// <summary>E.g. "128 MB (0.072 vCPU)" or "unlimited".</summary>
    public string Label => MemoryMb is { } mb
        ? string.Create(CultureInfo.InvariantCulture, $"{mb:N0} MB ({Vcpus:0.000} vCPU)")
        : "unlimited";

    /// <summary>A name usable as a folder (the cgroup's).</summary>
    public string Slug => MemoryMb is { } mb ? $"mb{mb}" : "unlimited";

    /// <summary>How long one sample may take: the CPU-starved sizes stretch every step.</summary>
    public TimeSpan Timeout(TimeSpan atFullSpeed) =>
        TimeSpan.FromTicks((long)(atFullSpeed.Ticks / Math.Min(1, Vcpus ?? 1)));
}
