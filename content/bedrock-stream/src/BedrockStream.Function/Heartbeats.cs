using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function;

/// <summary>
/// Keeps a quiet answer alive through a front that drops a silent connection: CloudFront ends an origin response
/// that sends nothing for its origin read timeout, 30 s by default
/// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesOriginResponseTimeout).
/// While the model's updates are awaited (the model thinking, a tool running between two turns), it writes
/// <see cref="IAnswerWriter.HeartbeatAsync"/>:
/// <list type="bullet">
/// <item>once the answer has started, after every <c>HEARTBEAT_SECONDS</c> of silence;</item>
/// <item>before it has, when the model has not started <c>START_STREAM_AFTER_SECONDS</c> after the invocation began.
/// That starts the response with a 200: a later failure (throttling included, which is then not retried) reaches the
/// caller as <c>event: error</c> rather than as its status code. Until then every early failure keeps its status.</item>
/// </list>
/// With both settings 0 (the default) the updates pass through untouched.
/// </summary>
internal static class Heartbeats
{
    public static IAsyncEnumerable<ChatResponseUpdate> KeepAlive(
        this IAsyncEnumerable<ChatResponseUpdate> updates, IAnswerWriter answer, FunctionSettings settings, TimeProvider time, CancellationToken cancellationToken) =>
        settings.Heartbeat <= TimeSpan.Zero && settings.StartStreamAfter <= TimeSpan.Zero
            ? updates   // off (the default): no extra layer on the hot path
            : WithHeartbeats(updates, answer, settings, time, cancellationToken);

    private static async IAsyncEnumerable<ChatResponseUpdate> WithHeartbeats(
        IAsyncEnumerable<ChatResponseUpdate> updates,
        IAnswerWriter answer,
        FunctionSettings settings,
        TimeProvider time,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long invocationStart = answer.LastSentAt;
        // Cancels the heartbeat timer, and the model call if this loop ends while an update is still awaited.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await using var model = updates.GetAsyncEnumerator(stop.Token);
        Task? beat = null;
        Task<bool>? next = null;
        try
        {
            while (true)
            {
                // The timer is armed before the model is asked for its next update, and kept across updates (it is
                // re-armed only once it has fired): one timer per quiet period, not one per token.
                if (beat is null && Due() is { } due)
                    beat = Task.Delay(due > TimeSpan.Zero ? due : TimeSpan.Zero, time, stop.Token);
                next ??= model.MoveNextAsync().AsTask();

                if (beat is null || await Task.WhenAny(next, beat) == next)
                {
                    bool more = await next;
                    next = null;
                    if (!more)
                        yield break;
                    yield return model.Current;
                    continue;
                }

                beat = null;
                cancellationToken.ThrowIfCancellationRequested();
                // The timer may have been armed before the last update: a heartbeat only after real silence, and only
                // if one is still wanted (an early start that the model made unnecessary is not).
                var remaining = Due();
                if (remaining is null || remaining > TimeSpan.Zero)
                    continue;
                // Re-armed before writing, so that the next quiet period is timed from this heartbeat.
                if (settings.Heartbeat > TimeSpan.Zero)
                    beat = Task.Delay(settings.Heartbeat, time, stop.Token);
                await answer.HeartbeatAsync(cancellationToken);
            }
        }
        finally
        {
            stop.Cancel();
            // An enumerator cannot be disposed while its MoveNextAsync runs: let the cancelled call end first.
            if (next is not null)
                await next.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        // How long until a heartbeat is due: since the last byte once started, since the invocation before; null: never.
        TimeSpan? Due()
        {
            if (answer.HasStarted)
                return settings.Heartbeat > TimeSpan.Zero ? settings.Heartbeat - time.GetElapsedTime(answer.LastSentAt) : null;
            return settings.StartStreamAfter > TimeSpan.Zero ? settings.StartStreamAfter - time.GetElapsedTime(invocationStart) : null;
        }
    }
}
