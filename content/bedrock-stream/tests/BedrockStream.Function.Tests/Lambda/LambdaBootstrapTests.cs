using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using BedrockStream.Function.Runtime;
using static BedrockStream.Function.Tests.Runtime.Wire;

namespace BedrockStream.Function.Tests.Runtime;

/// <summary>The event loop: ordering, error routing, retries and survival (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html).</summary>
public sealed class LambdaBootstrapTests
{
    private static readonly KeyValuePair<string, string>[] TextPlain = [new("Content-Type", "text/plain")];
    private const string TextPlainPrelude = """{"statusCode":200,"headers":{"Content-Type":"text/plain"}}""";

    [Fact]
    public async Task EachWriteReachesTheRuntimeApiWhileTheHandlerIsStillRunning()
    {
        var afterStart = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var afterFirstWrite = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var loop = new LoopHarness(async (invocation, response, ct) =>
        {
            await response.StartAsync(200, TextPlain, ct);
            await afterStart.Task; // blocked until the test has seen the prelude on the wire
            await response.WriteAsync("first"u8.ToArray(), ct);
            await afterFirstWrite.Task; // blocked until the test has seen "first" on the wire
            await response.WriteAsync("second"u8.ToArray(), ct);
            handlerDone.SetResult();
        });
        loop.Api.EnqueueInvocation("req-1", "{}");
        loop.Start();

        Assert.Equal("GET", (await loop.Api.NextRequestAsync()).Method);
        RecordedRequest post = await loop.Api.NextRequestAsync();

        // If StartAsync or WriteAsync buffered until the handler returned, these reads would time out.
        byte[] prelude = await post.NextChunkAsync();
        Assert.Equal(Utf8(TextPlainPrelude), prelude[..^8]);
        Assert.False(handlerDone.Task.IsCompleted);
        afterStart.SetResult();

        byte[] first = await post.NextChunkAsync();
        Assert.Equal("first"u8.ToArray(), first);
        Assert.False(handlerDone.Task.IsCompleted);
        Assert.False(post.Completed.Task.IsCompleted); // the body is still open
        afterFirstWrite.SetResult();

        Assert.Equal("second"u8.ToArray(), await post.NextChunkAsync());
        await post.Completed.Task.Within();
        Assert.Equal(
            [.. PreludeChunk(TextPlainPrelude), .. "5\r\nfirst\r\n"u8, .. "6\r\nsecond\r\n"u8, .. "0\r\n\r\n"u8],
            post.RawBodyBytes());
        Assert.Equal("GET", (await loop.Api.NextRequestAsync()).Method); // then it asks for the next event
        await loop.StopAsync();
    }

    [Fact]
    public async Task ReusesOnePersistentConnectionForNext_AcrossInvocations()
    {
        await using var loop = new LoopHarness(async (invocation, response, ct) =>
        {
            await response.StartAsync(200, TextPlain, ct);
            await response.WriteAsync(Encoding.UTF8.GetBytes(invocation.RequestId), ct);
        });
        loop.Api.EnqueueInvocation("req-1", "{}");
        loop.Api.EnqueueInvocation("req-2", "{}");
        loop.Start();

        var requests = new List<RecordedRequest>();
        for (int i = 0; i < 5; i++)
        {
            requests.Add(await loop.Api.NextRequestAsync());
        }

        // GET, POST req-1, GET, POST req-2, GET (waiting for a third event).
        Assert.Equal(["GET", "POST", "GET", "POST", "GET"], requests.Select(r => r.Method));
        Assert.EndsWith("/req-1/response", requests[1].Target);
        Assert.EndsWith("/req-2/response", requests[3].Target);
        int[] nextConnections = requests.Where(r => r.Method == "GET").Select(r => r.ConnectionId).Distinct().ToArray();
        Assert.Single(nextConnections);
        // Every /response used a fresh connection of its own, not the /next one.
        Assert.DoesNotContain(requests[1].ConnectionId, nextConnections);
        Assert.NotEqual(requests[1].ConnectionId, requests[3].ConnectionId);
        Assert.Equal(3, loop.Api.AcceptedConnections);
        await loop.StopAsync();
    }

    [Fact]
    public async Task HandlerThrowingBeforeTheFirstByte_IsReportedThroughError_AndNothingIsStreamed()
    {
        await using var loop = new LoopHarness((invocation, response, ct) =>
            throw new InvalidOperationException("no model configured"));
        loop.Api.EnqueueInvocation("req-1", "{}");
        loop.Start();

        RecordedRequest next = await loop.Api.NextRequestAsync();
        RecordedRequest error = await loop.Api.NextRequestAsync();
        RecordedRequest nextAgain = await loop.Api.NextRequestAsync();

        Assert.Equal("POST", error.Method);
        Assert.Equal("/2018-06-01/runtime/invocation/req-1/error", error.Target);
        Assert.Equal("InvalidOperationException", error.Header("Lambda-Runtime-Function-Error-Type"));
        Assert.Equal("application/vnd.aws.lambda.error+json", error.Header("Content-Type"));
        RuntimeApiClientTests.AssertErrorDocument(error.Body, "InvalidOperationException", "no model configured");
        Assert.Equal("GET", nextAgain.Method);

        // The eagerly opened /response connection was closed without sending a single byte.
        AcceptedConnection persistent = await loop.Api.Accepts.Reader.ReadAsync().AsTask().Within();
        AcceptedConnection eager = await loop.Api.Accepts.Reader.ReadAsync().AsTask().Within();
        Assert.Equal(next.ConnectionId, persistent.Id);
        await eager.Ended.Task.Within();
        Assert.Empty(eager.Requests);
        Assert.Contains(loop.Logs, l => l.Contains("req-1", StringComparison.Ordinal) && l.Contains("InvalidOperationException", StringComparison.Ordinal));
        Assert.DoesNotContain(loop.Logs, l => l.Contains("no model configured", StringComparison.Ordinal)); // no request text in logs
        await loop.StopAsync();
    }

    [Fact]
    public async Task HandlerReturningWithoutStarting_IsReportedAsRuntimeNoResponse()
    {
        await using var loop = new LoopHarness((invocation, response, ct) => Task.CompletedTask);
        loop.Api.EnqueueInvocation("req-1", "{}");
        loop.Start();

        await loop.Api.NextRequestAsync();
        RecordedRequest error = await loop.Api.NextRequestAsync();

        Assert.Equal("/2018-06-01/runtime/invocation/req-1/error", error.Target);
        Assert.Equal("Runtime.NoResponse", error.Header("Lambda-Runtime-Function-Error-Type"));
        using JsonDocument doc = JsonDocument.Parse(error.Body);
        Assert.Equal("Runtime.NoResponse", doc.RootElement.GetProperty("errorType").GetString());
        Assert.Equal("GET", (await loop.Api.NextRequestAsync()).Method);
        await loop.StopAsync();
    }

    [Theory]
    [InlineData(true, "ThrottlingException")]
    [InlineData(false, "TimeoutException")]
    public async Task HandlerThrowingAfterTheFirstByte_EndsTheStreamWithErrorTrailers(bool modelException, string expectedType)
    {
        await using var loop = new LoopHarness(async (invocation, response, ct) =>
        {
            await response.StartAsync(200, TextPlain, ct);
            await response.WriteAsync("Hel"u8.ToArray(), ct);
            throw modelException
                ? new ModelException("ThrottlingException", "Too many tokens, please wait.", 429)
                : new TimeoutException("Too many tokens, please wait.");
        });
        loop.Api.EnqueueInvocation("req-1", "{}");
        loop.Start();

        await loop.Api.NextRequestAsync();
        RecordedRequest post = await loop.Api.NextRequestAsync();
        await post.Completed.Task.Within();

        Assert.EndsWith("/req-1/response", post.Target);
        Assert.Equal(new("Lambda-Runtime-Function-Error-Type", expectedType), post.Trailers[0]);
        string base64 = post.Trailers[1].Value;
        RuntimeApiClientTests.AssertErrorDocument(Convert.FromBase64String(base64), expectedType, "Too many tokens, please wait.");
        Assert.Equal(
            [
                .. PreludeChunk(TextPlainPrelude),
                .. "3\r\nHel\r\n"u8,
                .. Ascii($"0\r\nLambda-Runtime-Function-Error-Type: {expectedType}\r\nLambda-Runtime-Function-Error-Body: {base64}\r\n\r\n"),
            ],
            post.RawBodyBytes());
        Assert.Equal("GET", (await loop.Api.NextRequestAsync()).Method); // no /error after the first byte
        Assert.DoesNotContain(loop.Api.AllRequests, r => r.Target.EndsWith("/error", StringComparison.Ordinal));
        await loop.StopAsync();
    }

    [Fact]
    public async Task SurvivesTheRuntimeApiClosingTheResponseMidStream_AndServesTheNextInvocation()
    {
        var writeFailures = new List<Exception>();
        TaskCompletionSource? resetSeen = null;
        await using var loop = new LoopHarness(async (invocation, response, ct) =>
        {
            await response.StartAsync(200, TextPlain, ct);
            await response.WriteAsync("a"u8.ToArray(), ct);
            if (invocation.RequestId != "req-1")
            {
                return;
            }

            await resetSeen!.Task; // the caller has gone away and Lambda dropped the connection
            try
            {
                for (int i = 0; i < 100; i++)
                {
                    await response.WriteAsync("more"u8.ToArray(), ct);
                }
            }
            catch (IOException ex)
            {
                writeFailures.Add(ex);
                throw;
            }
        });
        resetSeen = loop.Api.ResponseReset;
        loop.Api.ResetFirstResponseAfterChunks(2); // prelude + "a"
        loop.Api.EnqueueInvocation("req-1", "{}");
        loop.Api.EnqueueInvocation("req-2", "{}");
        loop.Start();

        await loop.Api.NextRequestAsync();
        RecordedRequest first = await loop.Api.NextRequestAsync();
        Assert.Equal("GET", (await loop.Api.NextRequestAsync()).Method);
        RecordedRequest second = await loop.Api.NextRequestAsync();
        await second.Completed.Task.Within();

        Assert.EndsWith("/req-1/response", first.Target);
        Assert.EndsWith("/req-2/response", second.Target);
        Assert.IsAssignableFrom<IOException>(Assert.Single(writeFailures));
        Assert.Equal([.. PreludeChunk(TextPlainPrelude), .. "1\r\na\r\n"u8, .. "0\r\n\r\n"u8], second.RawBodyBytes());
        Assert.Contains(loop.Logs, l => l.Contains("req-1", StringComparison.Ordinal) && l.Contains("could not finish", StringComparison.Ordinal));
        Assert.False(loop.Run!.IsCompleted);
        await loop.StopAsync();
    }

    [Fact]
    public async Task LogsAndContinues_WhenTheRuntimeApiDoesNotAcceptTheResponse()
    {
        await using var loop = new LoopHarness(async (invocation, response, ct) =>
        {
            await response.StartAsync(200, TextPlain, ct);
            await response.WriteAsync("x"u8.ToArray(), ct);
        });
        loop.Api.ResponseStatus = 413;
        loop.Api.EnqueueInvocation("req-1", "{}");
        loop.Start();

        await loop.Api.NextRequestAsync();
        await loop.Api.NextRequestAsync();
        Assert.Equal("GET", (await loop.Api.NextRequestAsync()).Method);

        Assert.Contains(loop.Logs, l => l.Contains("req-1", StringComparison.Ordinal) && l.Contains("HTTP 413", StringComparison.Ordinal));
        await loop.StopAsync();
    }

    [Fact]
    public async Task RetriesNextWithBackoff_AndRecovers()
    {
        await using var loop = new LoopHarness(async (invocation, response, ct) =>
            await response.StartAsync(204, [], ct));
        loop.Api.EnqueueNextStatus(500);
        loop.Api.EnqueueNextStatus(500);
        loop.Api.EnqueueInvocation("req-1", "{}");
        loop.Start();

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal("GET", (await loop.Api.NextRequestAsync()).Method);
        }

        RecordedRequest post = await loop.Api.NextRequestAsync();
        Assert.EndsWith("/req-1/response", post.Target);
        await post.Completed.Task.Within();
        Assert.Equal(2, loop.Logs.Count(l => l.Contains("retry", StringComparison.Ordinal)));
        await loop.StopAsync();
    }

    [Fact]
    public async Task GivesUpAfterFiveFailedNextCalls_WithAnUnreachableError()
    {
        await using var loop = new LoopHarness((invocation, response, ct) => Task.CompletedTask);
        for (int i = 0; i < 5; i++)
        {
            loop.Api.EnqueueNextStatus(500);
        }

        loop.Start();
        var ex = await Assert.ThrowsAsync<RuntimeApiException>(() => loop.Run!.Within());

        Assert.Contains("unreachable", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(loop.Api.HostAndPort, ex.Message, StringComparison.Ordinal);
        Assert.Equal(500, ex.StatusCode);
        Assert.Equal(5, loop.Api.AllRequests.Count(r => r.Method == "GET"));
    }

    [Fact]
    public async Task GivesUpWhenTheRuntimeApiRefusesConnections()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop(); // nothing listens there any more

        await using var loop = new LoopHarness((invocation, response, ct) => Task.CompletedTask, $"127.0.0.1:{port}");
        loop.Start();
        var ex = await Assert.ThrowsAsync<RuntimeApiException>(() => loop.Run!.Within());

        Assert.Contains("unreachable", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.IsType<SocketException>(ex.InnerException);
        Assert.Equal(4, loop.Logs.Count(l => l.Contains("retry", StringComparison.Ordinal)));
    }

    [Fact]
    public void ErrorTypeOf_UsesTheModelErrorCode_OrTheExceptionTypeName()
    {
        Assert.Equal("AccessDeniedException", LambdaBootstrap.ErrorTypeOf(new ModelException("AccessDeniedException", "no")));
        Assert.Equal("ArgumentNullException", LambdaBootstrap.ErrorTypeOf(new ArgumentNullException("x")));
    }
}
