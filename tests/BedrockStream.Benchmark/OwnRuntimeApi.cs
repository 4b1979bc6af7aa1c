using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace BedrockStream.Benchmark;

/// <summary>One invocation handed out by <see cref="OwnRuntimeApi"/>, and when its answer's parts arrived (<see cref="Stopwatch"/> timestamps).</summary>
internal sealed class ListenerInvocation(byte[] payload)
{
    public byte[] Payload { get; } = payload;
    /// <summary>Right before the <c>/next</c> answer was sent.</summary>
    public long HandedOutAt { get; set; }
    /// <summary>The first byte of the response body (the prelude).</summary>
    public long PreludeAt { get; set; }
    /// <summary>The first body byte after the prelude's 8 NUL bytes.</summary>
    public TaskCompletionSource<long> FirstChunk { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Each SSE event of the body (the read that completed its blank line).</summary>
    public List<long> EventAt { get; } = new();
    public TaskCompletionSource Completed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Fail(string why)
    {
        FirstChunk.TrySetException(new InvalidOperationException(why));
        Completed.TrySetException(new InvalidOperationException(why));
    }
}

/// <summary>What one cold sample observed: the first <c>/next</c>, and the invocation it was given (if any).</summary>
internal sealed class ColdProbe(ListenerInvocation? invocation)
{
    /// <summary>Null: the first poll is never answered (cold start only).</summary>
    public ListenerInvocation? Invocation { get; } = invocation;
    public TaskCompletionSource<long> FirstPoll { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Runs on the listener's thread when the first <c>/next</c> is in, before the invocation is handed out.</summary>
    public Action? OnFirstPoll { get; init; }
    internal int HandedOut;

    public void Fail(string why)
    {
        FirstPoll.TrySetException(new InvalidOperationException(why));
        Invocation?.Fail(why);
    }
}

/// <summary>
/// A minimal Lambda Runtime API on a raw socket, for the figures that the local host's emulator (Kestrel) would
/// blur with its own accept, routing and relay time: it stamps the first <c>/next</c> of a fresh process (cold
/// mode, <see cref="Arm"/>), and, in warm mode (<see cref="InvokeAsync"/>), hands out queued invocations and
/// stamps each SSE event of the streamed answer as it arrives: the Runtime API side of the per-token latency.
/// </summary>
internal sealed class OwnRuntimeApi : IAsyncDisposable
{
    private static readonly byte[] PreludeEnd = new byte[8];
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<ListenerInvocation> _queue = Channel.CreateUnbounded<ListenerInvocation>();
    private readonly Task _accepting;
    private volatile ColdProbe? _probe;
    private volatile ListenerInvocation? _current;

    public OwnRuntimeApi()
    {
        _listener.Start();
        HostAndPort = $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _accepting = LoopbackAccept.RunAsync(_listener, ServeAsync, _stop.Token);
    }

    /// <summary>The value of <c>AWS_LAMBDA_RUNTIME_API</c>.</summary>
    public string HostAndPort { get; }

    /// <summary>Cold mode: arms the listener for the next function process (a fresh process per probe).</summary>
    public ColdProbe Arm(byte[]? invocation, Action? onFirstPoll = null) =>
        _probe = new ColdProbe(invocation is null ? null : new ListenerInvocation(invocation)) { OnFirstPoll = onFirstPoll };

    /// <summary>Warm mode (never armed): queues an invocation for the running function and waits for its whole answer.</summary>
    public async Task<ListenerInvocation> InvokeAsync(byte[] payload, TimeSpan timeout)
    {
        var invocation = new ListenerInvocation(payload);
        await _queue.Writer.WriteAsync(invocation);
        await invocation.Completed.Task.WaitAsync(timeout);
        return invocation;
    }

    private async Task ServeAsync(Socket socket)
    {
        using var _ = socket;
        var reader = new RawHttpReader(new NetworkStream(socket, ownsSocket: false));
        try
        {
            while (await reader.ReadHeadAsync(_stop.Token) is { } head)
            {
                var at = Stopwatch.GetTimestamp();
                var probe = _probe;
                var target = head.Split("\r\n", 2)[0]; // the request line
                if (target.StartsWith("GET ", StringComparison.Ordinal) && target.Contains("/invocation/next", StringComparison.Ordinal))
                {
                    if (probe is not null)
                    {
                        probe.FirstPoll.TrySetResult(at);
                        // A later poll of the sampled process is simply never answered: the process is killed.
                        if (probe.Invocation is not { } sampled || Interlocked.Exchange(ref probe.HandedOut, 1) != 0) continue;
                        probe.OnFirstPoll?.Invoke();
                        _current = sampled;
                    }
                    else
                    {
                        _current = await _queue.Reader.ReadAsync(_stop.Token);
                    }
                    // Stamped before the send: the send's continuation may run after the whole answer arrived.
                    _current.HandedOutAt = Stopwatch.GetTimestamp();
                    await SendInvocationAsync(socket, _current.Payload);
                }
                else if (target.Contains("/response", StringComparison.Ordinal) && _current is { } invocation)
                {
                    await ReadStreamingResponseAsync(reader, invocation);
                    // The runtime closes a streaming response's connection after it (runtimes-custom).
                    await SendAsync(socket, "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    invocation.Completed.TrySetResult();
                    return;
                }
                else
                {
                    probe?.Fail($"the function called {target}");
                    _current?.Fail($"the function called {target}");
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or EndOfStreamException)
        {
            // A sampled process was killed mid-request, or the benchmark is ending.
        }
    }

    private static async Task SendInvocationAsync(Socket socket, byte[] payload)
    {
        var deadline = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + $"Lambda-Runtime-Aws-Request-Id: {Guid.NewGuid()}\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\n"
            + "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:bench\r\n"
            + "Lambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000\r\n"
            + $"Content-Length: {payload.Length}\r\n\r\n";
        byte[] message = [.. Encoding.ASCII.GetBytes(head), .. payload];
        await SendAsync(socket, message);
    }

    /// <summary>
    /// Decodes the chunked body: stamps the first byte after the prelude's 8 NUL bytes, and each "\n\n" after it.
    /// An answer whose prelude is not HTTP 200 (say the function could not reach or trust the model) fails the
    /// invocation with its body, instead of being timed as if it were an answer.
    /// </summary>
    private async Task ReadStreamingResponseAsync(RawHttpReader reader, ListenerInvocation invocation)
    {
        var prelude = new List<byte>();
        var inBody = false;
        int? rejectedWith = null;
        var rejection = new List<byte>();
        byte previous = 0;
        while (true)
        {
            var size = Convert.ToInt32((await reader.ReadLineAsync(_stop.Token)).Split(';')[0], 16);
            if (size == 0) break;
            for (var left = size; left > 0;)
            {
                var data = await reader.ReadSomeAsync(left, _stop.Token);
                if (data.IsEmpty) throw new EndOfStreamException();
                var at = Stopwatch.GetTimestamp();
                left -= data.Length;
                var body = data.Span;
                if (invocation.PreludeAt == 0) invocation.PreludeAt = at;
                if (!inBody)
                {
                    var before = prelude.Count;
                    prelude.AddRange(body);
                    var end = prelude.ToArray().AsSpan().IndexOf(PreludeEnd);
                    if (end < 0) continue;
                    inBody = true;
                    if (PreludeStatus(prelude.ToArray().AsSpan(0, end)) is var status and not 200) rejectedWith = status;
                    body = body[(end + PreludeEnd.Length - before)..];
                    if (body.IsEmpty) continue;
                }
                if (rejectedWith is not null)
                {
                    rejection.AddRange(body[..Math.Min(body.Length, Math.Max(0, 2000 - rejection.Count))]);
                    continue;
                }
                invocation.FirstChunk.TrySetResult(at);
                for (int from = 0, nl; (nl = body[from..].IndexOf((byte)'\n')) >= 0; from += nl + 1)
                    if ((from + nl == 0 ? previous : body[from + nl - 1]) == '\n') invocation.EventAt.Add(at);
                previous = body[^1];
            }
            await reader.ReadLineAsync(_stop.Token);
        }
        while ((await reader.ReadLineAsync(_stop.Token)).Length > 0) { } // trailers, then the blank line
        if (!inBody) invocation.Fail("the response had no body after its prelude");
        else if (rejectedWith is { } code) invocation.Fail($"the function answered HTTP {code}: {Encoding.UTF8.GetString(rejection.ToArray())}");
    }

    /// <summary>The <c>statusCode</c> of the HTTP integration prelude's JSON, or -1 when it is not such a prelude.</summary>
    private static int PreludeStatus(ReadOnlySpan<byte> json)
    {
        try
        {
            using var prelude = System.Text.Json.JsonDocument.Parse(json.ToArray());
            return prelude.RootElement.TryGetProperty("statusCode", out var status) && status.TryGetInt32(out var code) ? code : -1;
        }
        catch (System.Text.Json.JsonException)
        {
            return -1;
        }
    }

    private static async Task SendAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty) data = data[await socket.SendAsync(data, SocketFlags.None)..];
    }

    private static Task SendAsync(Socket socket, string text) => SendAsync(socket, Encoding.ASCII.GetBytes(text));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
