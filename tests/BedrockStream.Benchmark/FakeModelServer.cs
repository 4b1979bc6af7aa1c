using System.Diagnostics;
using System.Net;
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
/// socket with Nagle off, with one send per frame and a timestamp after each send.
/// </summary>
internal sealed class FakeModelServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<int, byte[]> _deltas = new();
    private readonly Task _accepting;
    private ModelAnswer? _last;

    public FakeModelServer()
    {
        _listener.Start();
        Endpoint = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _accepting = LoopbackAccept.RunAsync(_listener, ServeAsync, _stop.Token);
    }

    /// <summary>The endpoint override for the function (no trailing slash).</summary>
    public string Endpoint { get; }

    /// <summary>What the next requests get; invocations run one at a time, so one setting serves them all.</summary>
    public ModelScenario Scenario { get; set; } = ModelScenario.Short;

    /// <summary>The answer streamed last (invocations are sequential: it belongs to the invocation that just ended).</summary>
    public ModelAnswer? LastAnswer => Volatile.Read(ref _last);

    public void ForgetLastAnswer() => Volatile.Write(ref _last, null);

    private async Task ServeAsync(Socket socket)
    {
        using var _ = socket;
        var reader = new SocketReader(socket);
        try
        {
            // Keep-alive: the function's HttpClient reuses its connection; the baseline opens one per call.
            while (await reader.ReadHeadAsync(_stop.Token) is { } head)
            {
                var length = long.Parse(SocketReader.Header(head, "Content-Length") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
                await reader.SkipAsync(length, _stop.Token);
                await AnswerAsync(socket, Scenario, _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or EndOfStreamException)
        {
            // The function went away (killed after a cold-start sample) or the benchmark is ending.
        }
    }

    private async Task AnswerAsync(Socket socket, ModelScenario scenario, CancellationToken ct)
    {
        var delta = DeltaFrame(scenario.DeltaBytes);
        var answer = new ModelAnswer(scenario.Tokens);
        await SendAsync(socket, Encoding.ASCII.GetBytes(
            "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\nTransfer-Encoding: chunked\r\n"
            + $"x-amzn-RequestId: {Guid.NewGuid()}\r\n\r\n"), ct);
        await SendAsync(socket, ModelFrames.MessageStart, ct);

        // Steady pacing: token i is due at start + i/rate, so a late token does not delay the next ones.
        var interval = scenario.TokensPerSecond > 0 ? Stopwatch.Frequency / scenario.TokensPerSecond : 0;
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < scenario.Tokens; i++)
        {
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), start + (long)(i * interval));
            if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
            await SendAsync(socket, delta, ct);
            answer.DeltaWrittenAt[i] = Stopwatch.GetTimestamp();
        }
        Volatile.Write(ref _last, answer);
        await SendAsync(socket, ModelFrames.ContentBlockStop, ct);
        await SendAsync(socket, ModelFrames.MessageStop, ct);
        await SendAsync(socket, ModelFrames.Metadata(scenario.Tokens), ct);
        await SendAsync(socket, ModelFrames.LastChunk, ct);
    }

    private byte[] DeltaFrame(int bytes)
    {
        lock (_deltas)
        {
            if (!_deltas.TryGetValue(bytes, out var frame)) _deltas[bytes] = frame = ModelFrames.Delta(bytes);
            return frame;
        }
    }

    private static async Task SendAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        while (!data.IsEmpty)
            data = data[await socket.SendAsync(data, SocketFlags.None, ct)..];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
