namespace BedrockStream.Function.Local;

/// <summary>
/// Invocations waiting for the function, and the one it is serving. Like one Lambda execution
/// environment, the function gets the next event only after it finished the previous one.
/// </summary>
internal sealed class InvocationQueue
{
    private readonly object _gate = new();
    private readonly LinkedList<PendingInvocation> _queued = new();
    private PendingInvocation? _inFlight;
    private TaskCompletionSource _changed = NewSignal();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PendingInvocation? InFlight
    {
        get { lock (_gate) return _inFlight; }
    }

    public void Enqueue(PendingInvocation invocation)
    {
        lock (_gate) _queued.AddLast(invocation);
        Pulse();
    }

    /// <summary>Removes a still-queued invocation (queue timeout, client gone); false if the function already has it.</summary>
    public bool TryRemoveQueued(PendingInvocation invocation)
    {
        lock (_gate) return _queued.Remove(invocation);
    }

    /// <summary>Takes the oldest queued invocation without handing it to the function (for an init error).</summary>
    public PendingInvocation? TryTakeQueued()
    {
        lock (_gate)
        {
            if (_queued.First is not { } first) return null;
            _queued.RemoveFirst();
            return first.Value;
        }
    }

    /// <summary>Waits until nothing is in flight and something is queued, then hands it out.</summary>
    public async Task<PendingInvocation> TakeAsync(Func<DateTimeOffset> deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_inFlight is null)
                {
                    while (_queued.First is { } node)
                    {
                        _queued.RemoveFirst();
                        if (!node.Value.TryHandOut(deadline())) continue; // cancelled while queued
                        _inFlight = node.Value;
                        return node.Value;
                    }
                }
                changed = _changed.Task;
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The <c>/next</c> answer never reached the function: serve the invocation to its next poll.</summary>
    public void PutBack(PendingInvocation invocation)
    {
        lock (_gate)
        {
            if (_inFlight != invocation) return;
            _inFlight = null;
            invocation.ReturnToQueue();
            _queued.AddFirst(invocation);
        }
        Pulse();
    }

    /// <summary>The invocation is over: the function may have the next one.</summary>
    public void Release(PendingInvocation invocation)
    {
        lock (_gate)
        {
            if (_inFlight != invocation) return;
            _inFlight = null;
        }
        Pulse();
    }

    private void Pulse()
    {
        TaskCompletionSource old;
        lock (_gate)
        {
            old = _changed;
            _changed = NewSignal();
        }
        old.TrySetResult();
    }
}
