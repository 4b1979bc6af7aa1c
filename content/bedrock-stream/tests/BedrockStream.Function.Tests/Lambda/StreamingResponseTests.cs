using System.Text;
using System.Text.Json;
using BedrockStream.Function.Runtime;
using static BedrockStream.Function.Tests.Runtime.Wire;

namespace BedrockStream.Function.Tests.Runtime;

/// <summary>The streaming <c>/response</c> POST, byte for byte (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming).</summary>
public sealed class StreamingResponseTests
{
    private static readonly KeyValuePair<string, string>[] TextPlain = [new("Content-Type", "text/plain")];
    private const string TextPlainPrelude = """{"statusCode":200,"headers":{"Content-Type":"text/plain"}}""";

    [Fact]
    public async Task StartAsync_SendsExactRequestLineAndHeaders()
    {
        await using var api = new FakeRuntimeApi();
        using var client = new RuntimeApiClient(api.HostAndPort);
        await using StreamingResponse response = client.CreateStreamingResponse("8476a536-e9f4-11e8-9739-2dfe598c3fcd");

        await response.StartAsync(200, TextPlain);
        RecordedRequest request = await api.NextRequestAsync();

        Assert.Equal(StreamingHead("8476a536-e9f4-11e8-9739-2dfe598c3fcd", api.HostAndPort), request.RawHead);
        Assert.True(response.HasStarted);
    }

    [Fact]
    public async Task StartAsync_SendsPreludeJsonAndEightNulsAsTheFirstChunk_WithCookiesSeparated()
    {
        await using var api = new FakeRuntimeApi();
        using var client = new RuntimeApiClient(api.HostAndPort);
        await using StreamingResponse response = client.CreateStreamingResponse("req-1");

        await response.StartAsync(201,
        [
            new("Content-Type", "text/event-stream"),
            new("Set-Cookie", "a=1; Path=/"),
            new("X-Dup", "a"),
            new("set-cookie", "b=2"),
            new("x-dup", "b"),
            new("Content-Length", "999"), // framing is the Runtime API's business, never the prelude's
        ]);
        RecordedRequest request = await api.NextRequestAsync();
        byte[] first = await request.NextChunkAsync();

        Assert.True(first.Length > 8);
        Assert.Equal(new byte[8], first[^8..]);
        byte[] json = first[..^8];
        Assert.DoesNotContain((byte)0, json);
        Assert.Equal(
            """{"statusCode":201,"headers":{"Content-Type":"text/event-stream","X-Dup":"a, b"},"cookies":["a=1; Path=/","b=2"]}""",
            Encoding.UTF8.GetString(json));
        using JsonDocument doc = JsonDocument.Parse(json); // and it is valid JSON
        Assert.Equal(201, doc.RootElement.GetProperty("statusCode").GetInt32());

        // The first bytes of the body are exactly that one chunk.
        Assert.Equal(Chunk(first), request.RawBodyBytes());
    }

    [Fact]
    public async Task WriteAsync_SendsEachWriteAsOneChunk_ByteExact_EmptyWritesNothing_AndCompleteEndsWithTerminator()
    {
        await using var api = new FakeRuntimeApi();
        using var client = new RuntimeApiClient(api.HostAndPort);
        await using StreamingResponse response = client.CreateStreamingResponse("req-1");
        byte[] medium = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();          // 0x12c
        byte[] large = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray(); // 0x186a0, above the one-buffer limit

        await response.StartAsync(200, TextPlain);
        RecordedRequest request = await api.NextRequestAsync();
        await response.WriteAsync("hello"u8.ToArray());
        await response.WriteAsync(ReadOnlyMemory<byte>.Empty); // a zero-length chunk would end the body
        await response.WriteAsync(medium);
        await response.WriteAsync(large);
        int status = await response.CompleteAsync().Within();
        await request.Completed.Task.Within();

        byte[] expected =
        [
            .. PreludeChunk(TextPlainPrelude),
            .. "5\r\nhello\r\n"u8,
            .. "12c\r\n"u8, .. medium, .. "\r\n"u8,
            .. "186a0\r\n"u8, .. large, .. "\r\n"u8,
            .. "0\r\n\r\n"u8,
        ];
        Assert.Equal(expected, request.RawBodyBytes());
        Assert.Empty(request.Trailers);
        Assert.Equal(202, status);
    }

    [Fact]
    public async Task CompleteAsync_ClosesTheConnection()
    {
        await using var api = new FakeRuntimeApi();
        using var client = new RuntimeApiClient(api.HostAndPort);
        await using StreamingResponse response = client.CreateStreamingResponse("req-1");

        await response.StartAsync(200, TextPlain);
        RecordedRequest request = await api.NextRequestAsync();
        await response.CompleteAsync().Within();

        // runtimes-custom: "close the underlying connection after writing the response".
        await api.Connections[request.ConnectionId].Ended.Task.Within();
    }

    [Fact]
    public async Task FailAsync_EndsWithErrorTrailers_TypeAndBase64JsonBody()
    {
        await using var api = new FakeRuntimeApi();
        using var client = new RuntimeApiClient(api.HostAndPort);
        await using StreamingResponse response = client.CreateStreamingResponse("req-1");
        const string message = "Rate exceeded for \"model\"\r\nline 2 – ü";

        await response.StartAsync(200, TextPlain);
        RecordedRequest request = await api.NextRequestAsync();
        await response.WriteAsync("partial"u8.ToArray());
        int status = await response.FailAsync("ThrottlingException", message).Within();
        await request.Completed.Task.Within();

        Assert.Equal(202, status);
        Assert.Equal(2, request.Trailers.Count);
        Assert.Equal(new("Lambda-Runtime-Function-Error-Type", "ThrottlingException"), request.Trailers[0]);
        Assert.Equal("Lambda-Runtime-Function-Error-Body", request.Trailers[1].Key);
        string base64 = request.Trailers[1].Value;

        using (JsonDocument doc = JsonDocument.Parse(Convert.FromBase64String(base64)))
        {
            JsonElement root = doc.RootElement;
            Assert.Equal(message, root.GetProperty("errorMessage").GetString());
            Assert.Equal("ThrottlingException", root.GetProperty("errorType").GetString());
            Assert.Equal(JsonValueKind.Array, root.GetProperty("stackTrace").ValueKind);
            Assert.Equal(0, root.GetProperty("stackTrace").GetArrayLength());
        }

        byte[] expected =
        [
            .. PreludeChunk(TextPlainPrelude),
            .. "7\r\npartial\r\n"u8,
            .. Ascii($"0\r\nLambda-Runtime-Function-Error-Type: ThrottlingException\r\nLambda-Runtime-Function-Error-Body: {base64}\r\n\r\n"),
        ];
        Assert.Equal(expected, request.RawBodyBytes());
    }

    [Fact]
    public async Task FailAsync_NeutralisesLineBreaksInTheErrorType()
    {
        await using var api = new FakeRuntimeApi();
        using var client = new RuntimeApiClient(api.HostAndPort);
        await using StreamingResponse response = client.CreateStreamingResponse("req-1");

        await response.StartAsync(200, TextPlain);
        RecordedRequest request = await api.NextRequestAsync();
        await response.FailAsync("Evil\r\nInjected: yes", "m").Within();
        await request.Completed.Task.Within();

        Assert.Equal(2, request.Trailers.Count); // no third, injected trailer
        Assert.Equal("Evil??Injected: yes", request.Trailers[0].Value);
    }

    [Fact]
    public async Task Misuse_IsRejected()
    {
        await using var api = new FakeRuntimeApi();
        using var client = new RuntimeApiClient(api.HostAndPort);
        await using StreamingResponse response = client.CreateStreamingResponse("req-1");

        await Assert.ThrowsAsync<InvalidOperationException>(() => response.WriteAsync("x"u8.ToArray()).AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => response.FailAsync("T", "m"));
        Assert.False(response.HasStarted);

        await response.StartAsync(200, TextPlain);
        await Assert.ThrowsAsync<InvalidOperationException>(() => response.StartAsync(200, TextPlain).AsTask());
        await response.CompleteAsync().Within();
        await Assert.ThrowsAsync<InvalidOperationException>(() => response.CompleteAsync());
        await Assert.ThrowsAsync<InvalidOperationException>(() => response.WriteAsync("x"u8.ToArray()).AsTask());
    }
}
