using BedrockStream.Function.Runtime;

namespace BedrockStream.Function;

/// <summary>
/// Retries a model call that failed before its first event with <c>ThrottlingException</c> or
/// <c>ServiceUnavailableException</c>: at most <see cref="MaxRetries"/> times, after a jittered exponential
/// backoff (200 ms, 400 ms, ... each between half and all of it, or Bedrock's <c>Retry-After</c> when longer),
/// and only when the wait plus <see cref="MinimumAttemptTime"/> still ends before the deadline.
/// </summary>
public sealed class RetryPolicy(TimeProvider time, Func<double>? random = null, Func<TimeSpan, CancellationToken, Task>? delay = null)
{
    public const int MaxRetries = 2;
    public static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan MinimumAttemptTime = TimeSpan.FromSeconds(1);

    /// <summary>Decides whether to retry after <paramref name="retriesSoFar"/> retries, and how long to wait first.</summary>
    public bool ShouldRetry(int retriesSoFar, ModelException error, DateTimeOffset deadline, out TimeSpan wait)
    {
        wait = TimeSpan.Zero;
        if (retriesSoFar >= MaxRetries || error.ErrorCode is not ("ThrottlingException" or "ServiceUnavailableException"))
            return false;

        double jitter = 0.5 + 0.5 * (random ?? Random.Shared.NextDouble)();
        var backoff = BaseDelay * (Math.Pow(2, retriesSoFar) * jitter);
        if (error.RetryAfter is { } hint && hint > backoff)
            backoff = hint;
        if (time.GetUtcNow() + backoff + MinimumAttemptTime > deadline)
            return false;

        wait = backoff;
        return true;
    }

    /// <summary>Waits <paramref name="wait"/> (on the <see cref="TimeProvider"/>, or the injected delay).</summary>
    public Task WaitAsync(TimeSpan wait, CancellationToken cancellationToken) =>
        delay is not null ? delay(wait, cancellationToken) : Task.Delay(wait, time, cancellationToken);
}
