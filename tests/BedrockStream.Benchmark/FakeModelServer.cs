using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace BedrockStream.Benchmark;

/// <summary>What the fake model answers: how many deltas, how fast (0 = as fast as it can), how large.</summary>
internal sealed record ModelScenario(int Tokens, double TokensPerSecond, int DeltaBytes)
{
    public static readonly ModelScenario Short = new(8, 0, 4);
}

/// <summary>One answer the fake model streamed: <see cref="Stopwatch"/> timestamps taken right after each delta's send returned.</summary>
internal sealed class ModelAnswer(int tokens)
{
    public long[] DeltaWrittenAt { get; } = new long[tokens];
}

/// <summary>
/// The benchmark's own fake Bedrock ConverseStream endpoint (<c>AWS_ENDPOINT_URL_BEDROCK_RUNTIME</c> of every
/// variant). The local host has a fake model too, but it stamps a frame before writing it, cannot make 64 KB
/// deltas, and verifies SigV4 (which the unsigned baseline would fail); so this one answers any POST, on a raw
/// socket with Nagle off, with one write per frame and a timestamp after each write. It listens twice: plain HTTP
/// (<see cref="Endpoint"/>) and HTTPS with a throw-away chain (<see cref="SecureEndpoint"/>), the latter so that a
/// function's first call pays the TLS handshake it pays on Lambda. Both speak HTTP/1.1 only.
/// </summary>
internal sealed class FakeModelServer : IAsyncDisposable
{
    private readonly TcpListener _plain = new(IPAddress.Loopback, 0);
    private readonly TcpListener _secure = new(IPAddress.Loopback, 0);
    private readonly ThrowAwayCertificates _certificates;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<int, byte[]> _deltas = new();
    private readonly Task[] _accepting;
    private ModelAnswer? _last;

    public FakeModelServer(ThrowAwayCertificates certificates)
    {
        _certificates = certificates;
        _plain.Start();
        _secure.Start();
        Endpoint = $"http://127.0.0.1:{((IPEndPoint)_plain.LocalEndpoint).Port}";
        SecureEndpoint = $"https://127.0.0.1:{((IPEndPoint)_secure.LocalEndpoint).Port}";
        _accepting =
        [
            LoopbackAccept.RunAsync(_plain, socket => ServeAsync(socket, secure: false), _stop.Token),
            LoopbackAccept.RunAsync(_secure, socket => ServeAsync(socket, secure: true), _stop.Token),
        ];
    }

    /// <summary>The plain-HTTP endpoint override for the function (no trailing slash).</summary>
    public string Endpoint { get; }

    /// <summary>The HTTPS endpoint override (no trailing slash); trusted through <see cref="ThrowAwayCertificates.TrustEnvironment"/>.</summary>
    public string SecureEndpoint { get; }

    /// <summary>What the next requests get; invocations run one at a time, so one setting serves them all.</summary>
    public ModelScenario Scenario { get; set; } = ModelScenario.Short;

    /// <summary>The answer streamed last (invocations are sequential: it belongs to the invocation that just ended).</summary>
    public ModelAnswer? LastAnswer => Volatile.Read(ref _last);

    public void ForgetLastAnswer() => Volatile.Write(ref _last, null);

    private async Task ServeAsync(Socket socket, bool secure)
    {
        using var _ = socket;
        try
        {
            await using var connection = await OpenAsync(socket, secure);
            var reader = new RawHttpReader(connection);
            // Keep-alive: the function's HttpClient reuses its connection; the baseline opens one per call.
            while (await reader.ReadHeadAsync(_stop.Token) is { } head)
            {
                var length = long.Parse(RawHttpReader.Header(head, "Content-Length") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
                await reader.SkipAsync(length, _stop.Token);
                await AnswerAsync(connection, Scenario, _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or EndOfStreamException or System.Security.Authentication.AuthenticationException)
        {
            // The function went away (killed after a cold-start sample, possibly mid-handshake) or the benchmark is ending.
        }
    }

    private async Task<Stream> OpenAsync(Socket socket, bool secure)
    {
        var network = new NetworkStream(socket, ownsSocket: false);
        if (!secure) return network;
        var tls = new SslStream(network, leaveInnerStreamOpen: false);
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificateContext = _certificates.ServerContext,
            // HTTP/1.1 only, like the plain listener: a client that offers h2 in ALPN must fall back.
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            ClientCertificateRequired = false,
        }, _stop.Token);
        return tls;
    }

    private async Task AnswerAsync(Stream connection, ModelScenario scenario, CancellationToken ct)
    {
        var delta = DeltaFrame(scenario.DeltaBytes);
        var answer = new ModelAnswer(scenario.Tokens);
        await connection.WriteAsync(Encoding.ASCII.GetBytes(
            "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\nTransfer-Encoding: chunked\r\n"
            + $"x-amzn-RequestId: {Guid.NewGuid()}\r\n\r\n"), ct);
        await connection.WriteAsync(ModelFrames.MessageStart, ct);

        // Steady pacing: token i is due at start + i/rate, so a late token does not delay the next ones.
        var interval = scenario.TokensPerSecond > 0 ? Stopwatch.Frequency / scenario.TokensPerSecond : 0;
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < scenario.Tokens; i++)
        {
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), start + (long)(i * interval));
            if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
            await connection.WriteAsync(delta, ct);
            answer.DeltaWrittenAt[i] = Stopwatch.GetTimestamp();
        }
        Volatile.Write(ref _last, answer);
        await connection.WriteAsync(ModelFrames.ContentBlockStop, ct);
        await connection.WriteAsync(ModelFrames.MessageStop, ct);
        await connection.WriteAsync(ModelFrames.Metadata(scenario.Tokens), ct);
        await connection.WriteAsync(ModelFrames.LastChunk, ct);
    }

    private byte[] DeltaFrame(int bytes)
    {
        lock (_deltas)
        {
            if (!_deltas.TryGetValue(bytes, out var frame)) _deltas[bytes] = frame = ModelFrames.Delta(bytes);
            return frame;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _plain.Stop();
        _secure.Stop();
        await Task.WhenAll(_accepting);
        _stop.Dispose();
    }
}
