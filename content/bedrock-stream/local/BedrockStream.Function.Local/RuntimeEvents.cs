using System.Diagnostics;

namespace BedrockStream.Function.Local;

/// <summary>What the Runtime API emulator (and the process around it) observed.</summary>
public enum RuntimeEventKind
{
    /// <summary>The function started a <c>GET /next</c> long poll.</summary>
    NextPolled,
    /// <summary>An HTTP request became an invocation and waits for the function.</summary>
    InvocationQueued,
    /// <summary>An invocation was handed to the function as the answer of <c>/next</c>.</summary>
    InvocationHandedOut,
    /// <summary>The function's <c>/response</c> began: the status code (from the prelude) is in <see cref="RuntimeEvent.StatusCode"/>.</summary>
    ResponseStarted,
    /// <summary>The function's <c>/response</c> ended; <see cref="RuntimeEvent.Bytes"/> body bytes were relayed.</summary>
    ResponseCompleted,
    /// <summary>A streamed response ended with Lambda's error trailers.</summary>
    TrailersReceived,
    /// <summary>The function called <c>/error</c> before its first byte.</summary>
    InvocationError,
    /// <summary>The function called <c>/init/error</c>.</summary>
    InitError,
    /// <summary>The response could not be relayed (bad prelude, broken chunk framing, connection lost).</summary>
    ResponseFailed,
    /// <summary>The function did not finish before its deadline.</summary>
    InvocationTimedOut,
    /// <summary>An invocation waited in the queue longer than the function timeout (504).</summary>
    QueueTimedOut,
    /// <summary>The HTTP client went away; the function's response connection was aborted.</summary>
    ClientDisconnected,
    /// <summary>The function process started.</summary>
    FunctionStarted,
    /// <summary>The function process exited; the exit code is in <see cref="RuntimeEvent.StatusCode"/>.</summary>
    FunctionExited,
}

/// <summary>One observation, stamped with <see cref="Stopwatch.GetTimestamp"/> (comparable with the fake model's frame times).</summary>
public sealed record RuntimeEvent(
    RuntimeEventKind Kind,
    long Timestamp,
    DateTimeOffset Time,
    string? RequestId = null,
    int? StatusCode = null,
    string? ErrorType = null,
    string? ErrorBody = null,
    long Bytes = 0,
    string? Detail = null);

/// <summary>
/// The observable log of <see cref="RuntimeEvent"/>s. Tests either subscribe, read <see cref="Snapshot"/>,
/// or await <see cref="WaitForAsync"/> (a signal with a timeout: no sleeps needed).
/// Bounded, so a long benchmark does not grow the host's memory without end.
/// </summary>
public sealed class RuntimeEventLog : IObservable<RuntimeEvent>
{
    private const int Capacity = 20_000;
    private readonly object _gate = new();
    private readonly Queue<RuntimeEvent> _events = new();
    private readonly List<IObserver<RuntimeEvent>> _observers = new();
    private readonly List<(Func<RuntimeEvent, bool> Match, TaskCompletionSource<RuntimeEvent> Signal)> _waiters = new();

    public IReadOnlyList<RuntimeEvent> Snapshot()
    {
        lock (_gate) return _events.ToArray();
    }

    internal RuntimeEvent Add(RuntimeEventKind kind, string? requestId = null, int? statusCode = null,
        string? errorType = null, string? errorBody = null, long bytes = 0, string? detail = null)
    {
        var e = new RuntimeEvent(kind, Stopwatch.GetTimestamp(), DateTimeOffset.UtcNow, requestId, statusCode, errorType, errorBody, bytes, detail);
        IObserver<RuntimeEvent>[] observers;
        List<TaskCompletionSource<RuntimeEvent>>? matched = null;
        lock (_gate)
        {
            _events.Enqueue(e);
            if (_events.Count > Capacity) _events.Dequeue();
            observers = _observers.ToArray();
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (!_waiters[i].Match(e)) continue;
                (matched ??= new()).Add(_waiters[i].Signal);
                _waiters.RemoveAt(i);
            }
        }
        // Completed outside the lock: the awaiting test continues asynchronously (RunContinuationsAsynchronously).
        if (matched is not null) foreach (var s in matched) s.TrySetResult(e);
        foreach (var o in observers) o.OnNext(e);
        return e;
    }

    /// <summary>
    /// The first event (already logged, or still to come) that matches; throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.
    /// </summary>
    public async Task<RuntimeEvent> WaitForAsync(Func<RuntimeEvent, bool> match, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var signal = new TaskCompletionSource<RuntimeEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiter = (match, signal);
        lock (_gate)
        {
            foreach (var e in _events)
                if (match(e)) return e;
            _waiters.Add(waiter);
        }
        try
        {
            return await signal.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            lock (_gate) _waiters.Remove(waiter);
            throw new TimeoutException($"No matching runtime event within {timeout.TotalSeconds:0.###} s. Seen: "
                + string.Join(", ", Snapshot().TakeLast(12).Select(e => $"{e.Kind}({e.RequestId?[..8]} {e.StatusCode} {e.ErrorType})")));
        }
    }

    public IDisposable Subscribe(IObserver<RuntimeEvent> observer)
    {
        lock (_gate) _observers.Add(observer);
        return new Subscription(this, observer);
    }

    private sealed class Subscription(RuntimeEventLog log, IObserver<RuntimeEvent> observer) : IDisposable
    {
        public void Dispose()
        {
            lock (log._gate) log._observers.Remove(observer);
        }
    }
}
