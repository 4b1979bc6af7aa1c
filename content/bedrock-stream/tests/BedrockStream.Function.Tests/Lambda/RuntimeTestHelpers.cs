using System.Collections.Concurrent;
using System.Text;
using BedrockStream.Function.Runtime;

namespace BedrockStream.Function.Tests.Runtime;

/// <summary>Tests that read or write process-wide environment variables run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RuntimeEnvironmentCollection
{
    public const string Name = "Runtime environment variables";
}

internal static class Wire
{
    public static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>One HTTP/1.1 chunk, built independently of the code under test.</summary>
    public static byte[] Chunk(byte[] data) => [.. Ascii($"{data.Length:x}\r\n"), .. data, .. "\r\n"u8];

    public static byte[] PreludeChunk(string json) => Chunk([.. Utf8(json), 0, 0, 0, 0, 0, 0, 0, 0]);

    public static string StreamingHead(string requestId, string hostAndPort) =>
        $"POST /2018-06-01/runtime/invocation/{requestId}/response HTTP/1.1\r\n" +
        $"Host: {hostAndPort}\r\n" +
        $"User-Agent: {RuntimeApiClient.UserAgent}\r\n" +
        "Content-Type: application/vnd.awslambda.http-integration-response\r\n" +
        "Lambda-Runtime-Function-Response-Mode: streaming\r\n" +
        "Transfer-Encoding: chunked\r\n" +
        "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n" +
        "\r\n";

    public static async Task<T> Within<T>(this Task<T> task) => await task.WaitAsync(FakeRuntimeApi.Timeout);

    public static async Task Within(this Task task) => await task.WaitAsync(FakeRuntimeApi.Timeout);

    public static async Task<byte[]> NextChunkAsync(this RecordedRequest request) =>
        await request.Chunks.Reader.ReadAsync().AsTask().Within();
}

/// <summary>A fake Runtime API plus a <see cref="LambdaBootstrap"/> running against it in the background.</summary>
internal sealed class LoopHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _cts = new();

    public LoopHarness(InvocationHandler handler, string? hostAndPort = null)
    {
        Api = new FakeRuntimeApi();
        Client = new RuntimeApiClient(hostAndPort ?? Api.HostAndPort);
        Bootstrap = new LambdaBootstrap(Client, handler) { Log = Logs.Enqueue };
    }

    public FakeRuntimeApi Api { get; }

    public RuntimeApiClient Client { get; }

    public LambdaBootstrap Bootstrap { get; }

    public ConcurrentQueue<string> Logs { get; } = new();

    public Task? Run { get; private set; }

    public void Start() => Run = Bootstrap.RunAsync(_cts.Token);

    /// <summary>Stops the loop (blocked in /next) and checks it ended by cancellation, not by a fault.</summary>
    public async Task StopAsync()
    {
        _cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Run!.Within());
    }

    public async ValueTask DisposeAsync()
    {
        _cts.Cancel();
        if (Run is not null)
        {
            try
            {
                await Run.WaitAsync(FakeRuntimeApi.Timeout);
            }
            catch (Exception)
            {
                // asserted by the tests that care
            }
        }

        Client.Dispose();
        await Api.DisposeAsync();
        _cts.Dispose();
    }
}
