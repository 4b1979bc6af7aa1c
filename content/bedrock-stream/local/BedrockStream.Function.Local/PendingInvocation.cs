using System.Diagnostics;

namespace BedrockStream.Function.Local;

/// <summary>
/// The HTTP client side of one invocation, as the Runtime API emulator sees it. The Function URL front
/// implements it over its <c>HttpContext</c>; the emulator writes the function's bytes straight into it
/// (no queue in between, so relaying a chunk costs one write and one flush).
/// </summary>
internal interface IInvocationResponder
{
    bool HasStarted { get; }

    /// <summary>Fires when the HTTP client disconnects.</summary>
    CancellationToken ClientAborted { get; }

    /// <summary>Sends status and headers (from the prelude) and flushes them.</summary>
    Task StartAsync(int statusCode, IReadOnlyList<KeyValuePair<string, string>> headers, IReadOnlyList<string> cookies, CancellationToken cancellationToken);

    /// <summary>Writes one piece of the body and flushes it at once.</summary>
    ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Answers with an error (502, 504, ...) when nothing was sent yet; false if the response had already started.</summary>
    Task<bool> TryFailAsync(int statusCode, string jsonBody);

    /// <summary>Resets the client connection: the only way to report a failure once the status line is out.</summary>
    void Abort();

    /// <summary>True when a prelude header whose value is not a string makes the front fail (a REST API's 502).</summary>
    bool AcceptsOnlyStringHeaders => false;
}

internal enum InvocationState { Queued, HandedOut, Responding, Done }

/// <summary>One event waiting for, or being served by, the function (one at a time, like one Lambda instance).</summary>
internal sealed class PendingInvocation
{
    private readonly object _gate = new();
    private readonly TaskCompletionSource _handedOut = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _abort = new();

    public PendingInvocation(string requestId, byte[] payload, IInvocationResponder responder)
    {
        RequestId = requestId;
        Payload = payload;
        Responder = responder;
        QueuedAt = Stopwatch.GetTimestamp();
    }

    public string RequestId { get; }
    public byte[] Payload { get; }
    public IInvocationResponder Responder { get; }
    public long QueuedAt { get; }
    public DateTimeOffset Deadline { get; private set; }
    public InvocationState State { get { lock (_gate) return _state; } }
    private InvocationState _state = InvocationState.Queued;

    /// <summary>Completes when the function received the event.</summary>
    public Task HandedOut => _handedOut.Task;

    /// <summary>Completes when the invocation is over, whichever way.</summary>
    public Task Done => _done.Task;

    /// <summary>Cancelled when the host gives up on the invocation (deadline, client gone, function exited): stops the relay.</summary>
    public CancellationToken Aborted => _abort.Token;

    public bool TryHandOut(DateTimeOffset deadline)
    {
        lock (_gate)
        {
            if (_state != InvocationState.Queued) return false;
            _state = InvocationState.HandedOut;
            Deadline = deadline;
        }
        _handedOut.TrySetResult();
        return true;
    }

    /// <summary>Back to the queue when the <c>/next</c> answer could not be delivered (the function died while polling).</summary>
    public void ReturnToQueue()
    {
        lock (_gate)
            if (_state == InvocationState.HandedOut) _state = InvocationState.Queued;
    }

    /// <summary>The function's <c>/response</c> or <c>/error</c> claims the invocation; false if it is over already (timed out).</summary>
    public bool TryBeginResponse()
    {
        lock (_gate)
        {
            if (_state != InvocationState.HandedOut) return false;
            _state = InvocationState.Responding;
            return true;
        }
    }

    /// <summary>
    /// Claims the end of the invocation; true for the one caller that gets it. That caller answers the
    /// client (if it must) and then calls <see cref="Signal"/>, so the front's handler does not return
    /// (and end the HTTP response) while the answer is still being written.
    /// </summary>
    public bool TryEnd()
    {
        lock (_gate)
        {
            if (_state == InvocationState.Done) return false;
            _state = InvocationState.Done;
            return true;
        }
    }

    /// <summary>Completes <see cref="Done"/> (and <see cref="HandedOut"/>, so no waiter is left behind).</summary>
    public void Signal()
    {
        _done.TrySetResult();
        _handedOut.TrySetResult();
    }

    /// <summary><see cref="TryEnd"/> and <see cref="Signal"/> at once, when nothing is left to write.</summary>
    public bool TryFinish()
    {
        if (!TryEnd()) return false;
        Signal();
        return true;
    }

    /// <summary>Stops the relay of this invocation, if any (the relay then aborts the function's connection).</summary>
    public void Abort()
    {
        try { _abort.Cancel(); } catch (ObjectDisposedException) { }
    }
}
