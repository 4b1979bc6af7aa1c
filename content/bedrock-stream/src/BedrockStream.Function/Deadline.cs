namespace BedrockStream.Function;

/// <summary>A token cancelled <c>margin</c> before Lambda's deadline (on a <see cref="TimeProvider"/>) or when the caller's token is.</summary>
internal sealed class Deadline : IDisposable
{
    private static readonly TimeSpan Longest = TimeSpan.FromDays(1);
    private readonly CancellationTokenSource _timer;
    private readonly CancellationTokenSource _linked;

    public Deadline(DateTimeOffset lambdaDeadline, TimeSpan margin, TimeProvider time, CancellationToken callerToken)
    {
        At = lambdaDeadline - DateTimeOffset.MinValue > margin ? lambdaDeadline - margin : DateTimeOffset.MinValue;
        var remaining = At - time.GetUtcNow();
        _timer = remaining > TimeSpan.Zero
            ? new CancellationTokenSource(remaining < Longest ? remaining : Longest, time)
            : new CancellationTokenSource();
        if (remaining <= TimeSpan.Zero)
            _timer.Cancel();
        _linked = CancellationTokenSource.CreateLinkedTokenSource(_timer.Token, callerToken);
    }

    public DateTimeOffset At { get; }

    /// <summary>Cancelled at the deadline or by the caller.</summary>
    public CancellationToken Token => _linked.Token;

    /// <summary>True once the deadline has passed (as opposed to the caller cancelling).</summary>
    public bool Expired => _timer.IsCancellationRequested;

    public void Dispose()
    {
        _linked.Dispose();
        _timer.Dispose();
    }
}
