using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BedrockStream.Function.Tests.Bedrock;

/// <summary>A request as the fake server received it, byte for byte.</summary>
public sealed record RecordedRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out string? v) ? v : null;
    public string BodyText => Encoding.UTF8.GetString(Body);
}

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 over a raw socket, so tests control exactly when each byte of
/// the response leaves (chunked encoding, one flush per chunk), can stall, and can reset the connection.
/// Keep-alive is supported so connection reuse can be observed.
/// </summary>
public sealed class FakeBedrockServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<RecordedRequest, ResponseWriter, Task> _respond;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly ConcurrentBag<Task> _connections = [];
    private int _connectionCount;

    public FakeBedrockServer(Func<RecordedRequest, ResponseWriter, Task> respond)
    {
        _respond = respond;
        _listener.Start();
        BaseUri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _acceptLoop = AcceptLoopAsync();
    }

    public Uri BaseUri { get; }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Exceptions thrown by the response scripts (a test asserts there are none when it expects none).</summary>
    public ConcurrentQueue<Exception> Errors { get; } = new();

    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            Interlocked.Increment(ref _connectionCount);
            _connections.Add(Task.Run(() => ServeAsync(client)));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        client.NoDelay = true;
        using (client)
        {
            NetworkStream stream = client.GetStream();
            while (!_stop.IsCancellationRequested)
            {
                RecordedRequest? request;
                try
                {
                    request = await ReadRequestAsync(stream, _stop.Token);
                }
                catch (Exception)
                {
                    return; // client went away
                }

                if (request is null)
                {
                    return;
                }

                Requests.Enqueue(request);
                var writer = new ResponseWriter(client, stream);
                try
                {
                    await _respond(request, writer);
                }
                catch (Exception e)
                {
                    Errors.Enqueue(e);
                    return;
                }

                if (!writer.KeepAlive)
                {
                    return;
                }
            }
        }
    }

    private static async Task<RecordedRequest?> ReadRequestAsync(NetworkStream stream, CancellationToken ct)
    {
        var head = new List<byte>(1024);
        var one = new byte[1];
        while (head.Count < 4 || !(head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one, ct) == 0)
            {
                return null;
            }

            head.Add(one[0]);
        }

        string[] lines = Encoding.ASCII.GetString(head.ToArray()).Split("\r\n");
        string[] requestLine = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in lines.Skip(1).Where(l => l.Length > 0))
        {
            int colon = line.IndexOf(':');
            string name = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out string? existing) ? existing + "," + value : value;
        }

        byte[] body = new byte[headers.TryGetValue("Content-Length", out string? cl) ? int.Parse(cl) : 0];
        await stream.ReadExactlyAsync(body, ct);
        return new RecordedRequest(requestLine[0], requestLine[1], headers, body);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _acceptLoop;
        await Task.WhenAll(_connections).WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    /// <summary>Writes one response; every write is flushed to the socket at once.</summary>
    public sealed class ResponseWriter(TcpClient client, NetworkStream stream)
    {
        public bool KeepAlive { get; private set; }

        /// <summary>Starts a 200 event-stream response (chunked).</summary>
        public Task StartEventStreamAsync() =>
            WriteAsciiAsync("HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\nTransfer-Encoding: chunked\r\n\r\n");

        /// <summary>Sends <paramref name="data"/> as one HTTP chunk.</summary>
        public async Task SendChunkAsync(byte[] data)
        {
            await WriteAsciiAsync($"{data.Length:x}\r\n");
            await stream.WriteAsync(data);
            await WriteAsciiAsync("\r\n");
        }

        /// <summary>Ends the chunked body properly; the connection stays open for the next request.</summary>
        public async Task EndAsync()
        {
            await WriteAsciiAsync("0\r\n\r\n");
            KeepAlive = true;
        }

        /// <summary>Sends a complete response with a Content-Length body.</summary>
        public async Task SendCompleteAsync(int status, string reason, byte[] body, params (string Name, string Value)[] headers)
        {
            var sb = new StringBuilder($"HTTP/1.1 {status} {reason}\r\n");
            foreach ((string name, string value) in headers)
            {
                sb.Append(name).Append(": ").Append(value).Append("\r\n");
            }

            sb.Append("Content-Length: ").Append(body.Length).Append("\r\n\r\n");
            await WriteAsciiAsync(sb.ToString());
            await stream.WriteAsync(body);
            KeepAlive = true;
        }

        /// <summary>Resets the connection (RST), as a dropped network path would look to the client.</summary>
        public void Reset()
        {
            client.Client.LingerState = new LingerOption(true, 0);
            client.Client.Close();
        }

        /// <summary>Waits until the client closes its side (or the timeout passes); true if it closed.</summary>
        public async Task<bool> WaitForClientCloseAsync(TimeSpan timeout)
        {
            var buffer = new byte[256];
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                while (await stream.ReadAsync(buffer, cts.Token) > 0)
                {
                }

                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            catch (IOException)
            {
                return true;
            }
        }

        private async Task WriteAsciiAsync(string text)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(text));
            await stream.FlushAsync();
        }
    }
}
