using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace BedrockStream.Function.Tests.Runtime;

/// <summary>One HTTP request as the fake Runtime API received it, byte for byte.</summary>
internal sealed class RecordedRequest
{
    public required int ConnectionId { get; init; }
    public required string Method { get; init; }
    public required string Target { get; init; }

    /// <summary>Request line and headers exactly as received, including the empty line.</summary>
    public required string RawHead { get; init; }

    public required IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; }

    /// <summary>The body exactly as received (for chunked bodies: sizes, CRLFs, terminator and trailers included).</summary>
    public MemoryStream RawBody { get; } = new();

    /// <summary>Decoded chunk payloads, published the moment each chunk has fully arrived.</summary>
    public Channel<byte[]> Chunks { get; } = Channel.CreateUnbounded<byte[]>();

    public List<KeyValuePair<string, string>> Trailers { get; } = [];

    /// <summary>The decoded body (Content-Length bodies, or the de-chunked payload).</summary>
    public byte[] Body { get; set; } = [];

    /// <summary>Set when the whole body arrived; faulted when the connection ended first or was reset by the server.</summary>
    public TaskCompletionSource Completed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public byte[] RawBodyBytes()
    {
        lock (RawBody)
        {
            return RawBody.ToArray();
        }
    }

    public string? Header(string name) =>
        Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
}

/// <summary>One accepted TCP connection.</summary>
internal sealed class AcceptedConnection
{
    public required int Id { get; init; }
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();
    public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// A scripted Lambda Runtime API on 127.0.0.1 built on a bare TcpListener, so the tests see exactly the bytes the
/// runtime client puts on the wire. <c>/next</c> answers come from a queue (it blocks while the queue is empty, like
/// Lambda between invocations); <c>/response</c>, <c>/error</c> and <c>/init/error</c> are recorded and answered.
/// </summary>
internal sealed class FakeRuntimeApi : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<byte[]> _nextReplies = Channel.CreateUnbounded<byte[]>();
    private readonly ConcurrentQueue<Task> _serving = new();
    private readonly ConcurrentQueue<TcpClient> _clients = new();
    private readonly Task _acceptLoop;
    private int _accepted;
    private int _resetAfterChunks;

    public FakeRuntimeApi()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port { get; }

    public string HostAndPort => $"127.0.0.1:{Port}";

    public int AcceptedConnections => Volatile.Read(ref _accepted);

    public ConcurrentDictionary<int, AcceptedConnection> Connections { get; } = new();

    /// <summary>Every accepted connection, in accept order.</summary>
    public Channel<AcceptedConnection> Accepts { get; } = Channel.CreateUnbounded<AcceptedConnection>();

    /// <summary>Every request, in the order their heads arrived.</summary>
    public Channel<RecordedRequest> Requests { get; } = Channel.CreateUnbounded<RecordedRequest>();

    public ConcurrentQueue<RecordedRequest> AllRequests { get; } = new();

    /// <summary>Status the fake answers to a completed <c>/response</c>.</summary>
    public int ResponseStatus { get; set; } = 202;

    /// <summary>Close the connection after each <c>/next</c> answer, without saying so in a header (a stale keep-alive).</summary>
    public bool CloseNextConnectionAfterReply { get; set; }

    /// <summary>Set when a <c>/response</c> connection was reset by <see cref="ResetFirstResponseAfterChunks"/>.</summary>
    public TaskCompletionSource ResponseReset { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Reset (RST) the first <c>/response</c> connection after this many chunks, as Lambda does when the caller goes away.</summary>
    public void ResetFirstResponseAfterChunks(int chunks) => _resetAfterChunks = chunks;

    public void EnqueueInvocation(
        string requestId,
        string payload,
        string? traceId = null,
        long deadlineMs = 1542409706888,
        string functionArn = "arn:aws:lambda:us-east-1:123456789012:function:fn",
        bool chunked = false)
    {
        var head = new StringBuilder();
        head.Append("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n");
        head.Append("Lambda-Runtime-Aws-Request-Id: ").Append(requestId).Append("\r\n");
        head.Append("Lambda-Runtime-Deadline-Ms: ").Append(deadlineMs).Append("\r\n");
        head.Append("Lambda-Runtime-Invoked-Function-Arn: ").Append(functionArn).Append("\r\n");
        if (traceId is not null)
        {
            head.Append("Lambda-Runtime-Trace-Id: ").Append(traceId).Append("\r\n");
        }

        head.Append("Date: Wed, 01 Jan 2025 00:00:00 GMT\r\n");
        byte[] body = Encoding.UTF8.GetBytes(payload);
        var reply = new MemoryStream();
        if (chunked)
        {
            head.Append("Transfer-Encoding: chunked\r\n\r\n");
            reply.Write(Encoding.ASCII.GetBytes(head.ToString()));
            int half = body.Length / 2;
            foreach (byte[] part in new[] { body[..half], body[half..] })
            {
                reply.Write(Encoding.ASCII.GetBytes($"{part.Length:X};ext=1\r\n"));
                reply.Write(part);
                reply.Write("\r\n"u8);
            }

            reply.Write("0\r\nX-Trailer: t\r\n\r\n"u8);
        }
        else
        {
            head.Append("Content-Length: ").Append(body.Length).Append("\r\n\r\n");
            reply.Write(Encoding.ASCII.GetBytes(head.ToString()));
            reply.Write(body);
        }

        _nextReplies.Writer.TryWrite(reply.ToArray());
    }

    public void EnqueueNextStatus(int status) =>
        _nextReplies.Writer.TryWrite(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {status} Error\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}"));

    /// <summary>The next request whose head arrived (waits up to <see cref="Timeout"/>).</summary>
    public async Task<RecordedRequest> NextRequestAsync() =>
        await Requests.Reader.ReadAsync().AsTask().WaitAsync(Timeout);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (TcpClient client in _clients)
        {
            client.Dispose();
        }

        try
        {
            await _acceptLoop.WaitAsync(Timeout);
        }
        catch (Exception)
        {
            // stopping
        }

        foreach (Task task in _serving)
        {
            try
            {
                await task.WaitAsync(Timeout);
            }
            catch (Exception)
            {
                // connections are torn down on purpose
            }
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            int id = Interlocked.Increment(ref _accepted);
            var connection = new AcceptedConnection { Id = id };
            Connections[id] = connection;
            Accepts.Writer.TryWrite(connection);
            _clients.Enqueue(client);
            _serving.Enqueue(Task.Run(() => ServeAsync(client, connection)));
        }
    }

    private async Task ServeAsync(TcpClient client, AcceptedConnection connection)
    {
        RecordedRequest? current = null;
        try
        {
            var reader = new WireReader(client.GetStream());
            CancellationToken ct = _stop.Token;
            while (true)
            {
                byte[]? requestLine = await reader.ReadLineAsync(ct);
                if (requestLine is null)
                {
                    return; // client closed between requests
                }

                var raw = new StringBuilder(Encoding.ASCII.GetString(requestLine)).Append("\r\n");
                var headers = new List<KeyValuePair<string, string>>();
                while (true)
                {
                    byte[] line = await reader.ReadLineAsync(ct) ?? throw new IOException("EOF in head");
                    string text = Encoding.ASCII.GetString(line);
                    raw.Append(text).Append("\r\n");
                    if (text.Length == 0)
                    {
                        break;
                    }

                    int colon = text.IndexOf(':');
                    headers.Add(new(text[..colon], text[(colon + 1)..].Trim()));
                }

                string[] parts = Encoding.ASCII.GetString(requestLine).Split(' ');
                current = new RecordedRequest
                {
                    ConnectionId = connection.Id,
                    Method = parts[0],
                    Target = parts[1],
                    RawHead = raw.ToString(),
                    Headers = headers,
                };
                connection.Requests.Enqueue(current);
                AllRequests.Enqueue(current);
                await Requests.Writer.WriteAsync(current, ct);

                if (current.Method == "GET" && current.Target.EndsWith("/invocation/next", StringComparison.Ordinal))
                {
                    byte[] reply = await _nextReplies.Reader.ReadAsync(ct);
                    await client.GetStream().WriteAsync(reply, ct);
                    current.Completed.TrySetResult();
                    if (CloseNextConnectionAfterReply)
                    {
                        client.Close();
                        return;
                    }

                    continue;
                }

                reader.Tap = current.RawBody;
                if (string.Equals(current.Header("Transfer-Encoding"), "chunked", StringComparison.OrdinalIgnoreCase))
                {
                    if (!await ReadChunkedAsync(reader, current, client, ct))
                    {
                        return; // reset on purpose
                    }
                }
                else
                {
                    int length = int.Parse(current.Header("Content-Length") ?? "0");
                    current.Body = await reader.ReadExactAsync(length, ct);
                }

                reader.Tap = null;
                current.Completed.TrySetResult();

                int status = current.Target.EndsWith("/response", StringComparison.Ordinal) ? ResponseStatus : 202;
                await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(
                    $"HTTP/1.1 {status} Accepted\r\nContent-Type: application/json\r\nDate: Wed, 01 Jan 2025 00:00:00 GMT\r\nContent-Length: 15\r\n\r\n{{\"status\":\"OK\"}}"), ct);
            }
        }
        catch (Exception ex)
        {
            current?.Completed.TrySetException(ex);
        }
        finally
        {
            current?.Completed.TrySetException(new IOException("connection ended before the request completed"));
            client.Dispose();
            connection.Ended.TrySetResult();
        }
    }

    /// <summary>Reads a chunked body; returns false if the connection was reset on purpose.</summary>
    private async Task<bool> ReadChunkedAsync(WireReader reader, RecordedRequest request, TcpClient client, CancellationToken ct)
    {
        var body = new MemoryStream();
        int chunks = 0;
        while (true)
        {
            string sizeLine = Encoding.ASCII.GetString(await reader.ReadLineAsync(ct) ?? throw new IOException("EOF in chunk size"));
            int size = Convert.ToInt32(sizeLine, 16);
            if (size == 0)
            {
                break;
            }

            byte[] data = await reader.ReadExactAsync(size, ct);
            byte[] crlf = await reader.ReadLineAsync(ct) ?? throw new IOException("EOF after chunk");
            if (crlf.Length != 0)
            {
                throw new IOException("chunk data not followed by CRLF");
            }

            body.Write(data);
            request.Chunks.Writer.TryWrite(data);
            chunks++;
            if (_resetAfterChunks > 0 && chunks == _resetAfterChunks && request.Target.EndsWith("/response", StringComparison.Ordinal))
            {
                _resetAfterChunks = 0;
                client.Client.LingerState = new LingerOption(true, 0); // close with RST, as an aborted connection
                client.Client.Close();
                request.Completed.TrySetException(new IOException("reset by the fake"));
                ResponseReset.TrySetResult();
                return false;
            }
        }

        while (true)
        {
            string line = Encoding.ASCII.GetString(await reader.ReadLineAsync(ct) ?? throw new IOException("EOF in trailers"));
            if (line.Length == 0)
            {
                break;
            }

            int colon = line.IndexOf(':');
            request.Trailers.Add(new(line[..colon], line[(colon + 1)..].Trim()));
        }

        request.Body = body.ToArray();
        request.Chunks.Writer.TryComplete();
        return true;
    }

    /// <summary>Buffered reads of lines and exact byte counts; copies everything it consumes to <see cref="Tap"/>.</summary>
    private sealed class WireReader(NetworkStream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _pos;
        private int _len;

        public MemoryStream? Tap { get; set; }

        /// <summary>A line without its CRLF, or null on EOF before the first byte.</summary>
        public async Task<byte[]?> ReadLineAsync(CancellationToken ct)
        {
            var line = new MemoryStream();
            while (true)
            {
                if (_pos == _len && !await FillAsync(ct))
                {
                    if (line.Length == 0)
                    {
                        return null;
                    }

                    throw new IOException("EOF inside a line");
                }

                byte b = _buffer[_pos++];
                Record(b);
                if (b == '\n' && line.Length > 0 && line.GetBuffer()[line.Length - 1] == '\r')
                {
                    return line.ToArray()[..^1];
                }

                line.WriteByte(b);
            }
        }

        public async Task<byte[]> ReadExactAsync(int count, CancellationToken ct)
        {
            byte[] result = new byte[count];
            int done = 0;
            while (done < count)
            {
                if (_pos == _len && !await FillAsync(ct))
                {
                    throw new IOException("EOF inside a body");
                }

                int n = Math.Min(count - done, _len - _pos);
                _buffer.AsSpan(_pos, n).CopyTo(result.AsSpan(done));
                if (Tap is { } tap)
                {
                    lock (tap)
                    {
                        tap.Write(_buffer, _pos, n);
                    }
                }

                _pos += n;
                done += n;
            }

            return result;
        }

        private void Record(byte b)
        {
            if (Tap is { } tap)
            {
                lock (tap)
                {
                    tap.WriteByte(b);
                }
            }
        }

        private async Task<bool> FillAsync(CancellationToken ct)
        {
            _pos = 0;
            _len = await stream.ReadAsync(_buffer, ct);
            return _len > 0;
        }
    }
}
