using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using BedrockStream.Function.Runtime;

namespace BedrockStream.Function.Tests.Runtime;

/// <summary>/next, /error and /init/error on the wire (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).</summary>
public sealed class RuntimeApiClientTests
{
    [Fact]
    public async Task GetNextInvocation_ThrowsRuntimeApiException_OnNon2xx()
    {
        await using var api = new FakeRuntimeApi();
        using var client = new RuntimeApiClient(api.HostAndPort);
        api.EnqueueNextStatus(500);

        var ex = await Assert.ThrowsAsync<RuntimeApiException>(() => client.GetNextInvocationAsync().Within());

        Assert.Equal(500, ex.StatusCode);
        Assert.Contains("500", ex.Message);
    }

    [Fact]
    public async Task GetNextInvocation_ReconnectsWhenTheKeptAliveConnectionWasClosed()
    {
        await using var api = new FakeRuntimeApi { CloseNextConnectionAfterReply = true };
        using var client = new RuntimeApiClient(api.HostAndPort);
        api.EnqueueInvocation("id-1", "{}");
        api.EnqueueInvocation("id-2", "{}");

        Invocation first = await client.GetNextInvocationAsync().Within();
        await api.Connections[1].Ended.Task.Within(); // the server has closed the idle connection
        Invocation second = await client.GetNextInvocationAsync().Within();

        Assert.Equal("id-1", first.RequestId);
        Assert.Equal("id-2", second.RequestId);
        Assert.Equal(2, api.AcceptedConnections);
    }

    [Fact]
    public async Task PostError_SendsExactRequest()
    {
        await using var api = new FakeRuntimeApi();
        using var client = new RuntimeApiClient(api.HostAndPort);

        await client.PostErrorAsync("req-9", "InvalidOperationException", "boom \"quoted\"").Within();
        RecordedRequest request = await api.NextRequestAsync();

        Assert.Equal(
            "POST /2018-06-01/runtime/invocation/req-9/error HTTP/1.1\r\n" +
            $"Host: {api.HostAndPort}\r\n" +
            $"User-Agent: {RuntimeApiClient.UserAgent}\r\n" +
            "Content-Type: application/vnd.aws.lambda.error+json\r\n" +
            "Lambda-Runtime-Function-Error-Type: InvalidOperationException\r\n" +
            $"Content-Length: {request.Body.Length}\r\n\r\n",
            request.RawHead);
        AssertErrorDocument(request.Body, "InvalidOperationException", "boom \"quoted\"");
    }

    [Fact]
    public async Task PostInitError_SendsExactRequest()
    {
        await using var api = new FakeRuntimeApi();
        using var client = new RuntimeApiClient(api.HostAndPort);

        await client.PostInitErrorAsync("Runtime.ConfigInvalid", "MODEL_ID is not set.").Within();
        RecordedRequest request = await api.NextRequestAsync();

        Assert.Equal(
            "POST /2018-06-01/runtime/init/error HTTP/1.1\r\n" +
            $"Host: {api.HostAndPort}\r\n" +
            $"User-Agent: {RuntimeApiClient.UserAgent}\r\n" +
            "Content-Type: application/vnd.aws.lambda.error+json\r\n" +
            "Lambda-Runtime-Function-Error-Type: Runtime.ConfigInvalid\r\n" +
            $"Content-Length: {request.Body.Length}\r\n\r\n",
            request.RawHead);
        AssertErrorDocument(request.Body, "Runtime.ConfigInvalid", "MODEL_ID is not set.");
    }

    [Fact]
    public async Task PostError_ThrowsRuntimeApiException_WhenNotAccepted()
    {
        // A listener that answers 400 to anything.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        Task server = Task.Run(async () =>
        {
            using TcpClient peer = await listener.AcceptTcpClientAsync();
            NetworkStream stream = peer.GetStream();
            byte[] buffer = new byte[4096];
            int read = 0;
            while (!Encoding.ASCII.GetString(buffer, 0, read).Contains("errorType", StringComparison.Ordinal))
            {
                read += await stream.ReadAsync(buffer.AsMemory(read));
            }

            await stream.WriteAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
        });
        using var client = new RuntimeApiClient($"127.0.0.1:{port}");

        var ex = await Assert.ThrowsAsync<RuntimeApiException>(() => client.PostErrorAsync("r", "T", "m").Within());

        Assert.Equal(400, ex.StatusCode);
        await server.Within();
    }

    [Theory]
    [InlineData("")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:")]
    [InlineData("127.0.0.1:notaport")]
    [InlineData("127.0.0.1:70000")]
    public void Constructor_RejectsAnAddressWithoutAValidPort(string hostAndPort)
    {
        Assert.ThrowsAny<ArgumentException>(() => new RuntimeApiClient(hostAndPort));
    }

    [Theory]
    [InlineData("127.0.0.1:9001")]
    [InlineData("[::1]:9001")]
    [InlineData("localhost:9001")]
    public void Constructor_AcceptsHostAndPort(string hostAndPort)
    {
        using var client = new RuntimeApiClient(hostAndPort);
        Assert.Equal(hostAndPort, client.HostAndPort);
    }

    internal static void AssertErrorDocument(byte[] body, string errorType, string errorMessage)
    {
        using JsonDocument doc = JsonDocument.Parse(body);
        JsonElement root = doc.RootElement;
        Assert.Equal(errorMessage, root.GetProperty("errorMessage").GetString());
        Assert.Equal(errorType, root.GetProperty("errorType").GetString());
        Assert.Equal(0, root.GetProperty("stackTrace").GetArrayLength());
    }
}

/// <summary>The tests that touch process-wide environment variables (<c>_X_AMZN_TRACE_ID</c>, <c>AWS_LAMBDA_RUNTIME_API</c>).</summary>
[Collection(RuntimeEnvironmentCollection.Name)]
public sealed class RuntimeApiClientEnvironmentTests
{
    [Fact]
    public async Task GetNextInvocation_ParsesHeaders_SetsAndClearsTraceId_ReadsChunkedBodies_OnOneConnection()
    {
        await using var api = new FakeRuntimeApi();
        using var client = new RuntimeApiClient(api.HostAndPort);
        const string trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
        string bigPayload = "{\"body\":\"" + new string('x', 100_000) + "\"}";
        api.EnqueueInvocation("8476a536-e9f4-11e8-9739-2dfe598c3fcd", "{\"a\":1}", traceId: trace, deadlineMs: 1542409706888,
            functionArn: "arn:aws:lambda:us-east-1:123456789012:function:fn:prod");
        api.EnqueueInvocation("id-2", bigPayload, traceId: null, chunked: true);
        Environment.SetEnvironmentVariable(RuntimeApiClient.TraceIdVariable, null);

        Invocation first = await client.GetNextInvocationAsync().Within();
        string? traceAfterFirst = Environment.GetEnvironmentVariable("_X_AMZN_TRACE_ID");
        Invocation second = await client.GetNextInvocationAsync().Within();
        string? traceAfterSecond = Environment.GetEnvironmentVariable("_X_AMZN_TRACE_ID");

        Assert.Equal("8476a536-e9f4-11e8-9739-2dfe598c3fcd", first.RequestId);
        Assert.Equal(new DateTimeOffset(2018, 11, 16, 23, 8, 26, 888, TimeSpan.Zero), first.Deadline);
        Assert.Equal("arn:aws:lambda:us-east-1:123456789012:function:fn:prod", first.FunctionArn);
        Assert.Equal(trace, first.TraceId);
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(first.Payload.Span));
        Assert.Equal(trace, traceAfterFirst);

        Assert.Equal("id-2", second.RequestId);
        Assert.Null(second.TraceId);
        Assert.Equal(bigPayload, Encoding.UTF8.GetString(second.Payload.Span));
        Assert.Null(traceAfterSecond); // one invocation's trace must not leak into the next

        // Both /next calls went over one keep-alive connection.
        Assert.Equal(1, api.AcceptedConnections);
        RecordedRequest next = await api.NextRequestAsync();
        Assert.Equal(
            $"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: {api.HostAndPort}\r\nUser-Agent: {RuntimeApiClient.UserAgent}\r\n\r\n",
            next.RawHead);
    }

    [Fact]
    public void FromEnvironment_ReadsTheRuntimeApiVariable_AndFailsClearlyWithoutIt()
    {
        string? saved = Environment.GetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API");
        try
        {
            Environment.SetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001");
            using (RuntimeApiClient client = RuntimeApiClient.FromEnvironment())
            {
                Assert.Equal("127.0.0.1:9001", client.HostAndPort);
            }

            Environment.SetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API", null);
            var ex = Assert.Throws<InvalidOperationException>(() => RuntimeApiClient.FromEnvironment());
            Assert.Contains("AWS_LAMBDA_RUNTIME_API", ex.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API", saved);
        }
    }
}
