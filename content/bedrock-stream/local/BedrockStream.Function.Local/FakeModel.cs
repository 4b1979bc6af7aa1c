using System.Diagnostics;

namespace BedrockStream.Function.Local;

/// <summary>One frame the fake model wrote: its <c>:event-type</c> (or exception type), when (<see cref="Stopwatch.GetTimestamp"/>, just before the write) and its size.</summary>
public readonly record struct FakeFrame(string Type, long WrittenAt, int Length, string? Text = null);

/// <summary>One ConverseStream request the fake model received, and what it answered.</summary>
public sealed class FakeModelRequest
{
    private readonly List<FakeFrame> _frames = new();
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal FakeModelRequest(string modelId, string body, long receivedAt)
    {
        ModelId = modelId;
        Body = body;
        ReceivedAt = receivedAt;
    }

    /// <summary>The model id from the path, URL-decoded (e.g. <c>us.amazon.nova-2-lite-v1:0</c>).</summary>
    public string ModelId { get; }

    /// <summary>The JSON request body.</summary>
    public string Body { get; }

    /// <summary><see cref="Stopwatch.GetTimestamp"/> when the request arrived.</summary>
    public long ReceivedAt { get; }

    /// <summary>The last user message's text, as the model saw it.</summary>
    public string Prompt { get; internal set; } = "";

    /// <summary>The request as the fake read it (messages and their blocks, system, tools, cache points); null when it was rejected before.</summary>
    public FakeConverseRequest? Request { get; internal set; }

    /// <summary>Null when the SigV4 signature was valid; else why it was rejected (403).</summary>
    public string? SignatureError { get; internal set; }

    public FakeFault? Fault { get; internal set; }

    /// <summary>The HTTP status the fake answered with.</summary>
    public int StatusCode { get; internal set; }

    /// <summary>The text the fake streamed (all deltas written).</summary>
    public string AnswerText { get; internal set; } = "";

    public IReadOnlyList<FakeFrame> Frames
    {
        get { lock (_frames) return _frames.ToArray(); }
    }

    /// <summary>Completes when the fake finished answering (last frame written, error sent, or connection gone).</summary>
    public Task Completed => _completed.Task;

    internal void AddFrame(FakeFrame frame)
    {
        lock (_frames) _frames.Add(frame);
    }

    internal void Complete() => _completed.TrySetResult();
}

/// <summary>
/// The fake Bedrock model's controls and records, for tests and the local host: token rate, fault
/// injection, the fake credentials it accepts, and every request it received (so a test can assert that
/// the model was, or was not, called), with the time each frame was written.
/// </summary>
public sealed class FakeModel
{
    private const int MaxRecordedRequests = 5_000;
    private readonly object _gate = new();
    private readonly Queue<FakeModelRequest> _requests = new();
    private readonly List<(int Count, TaskCompletionSource<FakeModelRequest> Signal)> _waiters = new();
    private readonly HashSet<string> _cachedPrefixes = new(StringComparer.Ordinal);
    private FakeFault? _nextFault;
    private FakeFault? _persistentFault;
    private int _requestCount;

    public FakeModel(double tokenRate) => TokenRate = tokenRate;

    /// <summary>Tokens (contentBlockDelta frames) per second; 0 or less = as fast as possible.</summary>
    public double TokenRate { get; set; }

    /// <summary>Fake credentials given to the function; requests must be signed with them.</summary>
    public string AccessKeyId { get; } = "AKIDLOCALFAKEMODEL01";
    public string SecretAccessKey { get; } = "localFakeModelSecretKey/doesNotWorkOnAws0";
    public string SessionToken { get; } = "local-fake-model-session-token";
    public string Region { get; } = "us-east-1";

    /// <summary>The endpoint (<c>AWS_ENDPOINT_URL_BEDROCK_RUNTIME</c>), once started.</summary>
    public Uri? Endpoint { get; internal set; }

    /// <summary>A fault for the next request only (then cleared). A fault in the request itself wins.</summary>
    public FakeFault? NextFault
    {
        get { lock (_gate) return _nextFault; }
        set { lock (_gate) _nextFault = value; }
    }

    /// <summary>
    /// A fault for every request until cleared (null), tool-loop turns and the function's own retries included: what it
    /// takes to see a throttled call surface as a 429 after the retries. <see cref="NextFault"/>, when set, goes first.
    /// </summary>
    public FakeFault? PersistentFault
    {
        get { lock (_gate) return _persistentFault; }
        set { lock (_gate) _persistentFault = value; }
    }

    /// <summary>All requests received since start (or <see cref="Reset"/>), including rejected ones.</summary>
    public int RequestCount
    {
        get { lock (_gate) return _requestCount; }
    }

    public IReadOnlyList<FakeModelRequest> Requests
    {
        get { lock (_gate) return _requests.ToArray(); }
    }

    /// <summary>Waits until at least <paramref name="count"/> requests arrived; returns the <paramref name="count"/>-th.</summary>
    public Task<FakeModelRequest> WaitForRequestAsync(int count, TimeSpan timeout)
    {
        lock (_gate)
        {
            if (_requestCount >= count) return Task.FromResult(_requests.ElementAt(count - 1 - (_requestCount - _requests.Count)));
            var signal = new TaskCompletionSource<FakeModelRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, signal));
            return signal.Task.WaitAsync(timeout);
        }
    }

    /// <summary>Forgets the recorded requests, any pending <see cref="NextFault"/> or <see cref="PersistentFault"/> and the prompt cache.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _requests.Clear();
            _requestCount = 0;
            _nextFault = null;
            _persistentFault = null;
            _cachedPrefixes.Clear();
        }
    }

    /// <summary>Puts a prompt prefix in the fake's prompt cache; true when it was not there yet (a cache write).</summary>
    internal bool CachePrefix(string prefix)
    {
        lock (_gate) return _cachedPrefixes.Add(prefix);
    }

    internal FakeFault? TakeNextFault()
    {
        lock (_gate)
        {
            var fault = _nextFault ?? _persistentFault;
            _nextFault = null;
            return fault;
        }
    }

    internal void Record(FakeModelRequest request)
    {
        List<TaskCompletionSource<FakeModelRequest>>? ready = null;
        lock (_gate)
        {
            _requests.Enqueue(request);
            if (_requests.Count > MaxRecordedRequests) _requests.Dequeue();
            _requestCount++;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Count != _requestCount) continue;
                (ready ??= new()).Add(_waiters[i].Signal);
                _waiters.RemoveAt(i);
            }
        }
        if (ready is not null) foreach (var s in ready) s.TrySetResult(request);
    }
}
