namespace BedrockStream.Benchmark;

/// <summary>A figure: its median and 99th percentile (nearest rank) over the samples, or a single value.</summary>
internal readonly record struct Figure(double P50, double? P99, int Samples)
{
    public static Figure Of(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0) throw new InvalidOperationException("no samples");
        var sorted = samples.Order().ToArray();
        return new Figure(Percentile(sorted, 0.50), Percentile(sorted, 0.99), sorted.Length);
    }

    /// <summary>Throughput: the median, and the worst run in place of p99 (higher is better).</summary>
    public static Figure OfRates(IReadOnlyCollection<double> rates)
    {
        var sorted = rates.Order().ToArray();
        return new Figure(Percentile(sorted, 0.50), sorted[0], sorted.Length);
    }

    public static Figure Single(double value) => new(value, null, 1);

    private static double Percentile(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}

internal static class Time
{
    public static double Ms(long from, long to) => (to - from) * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
}
