using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;
using F = BedrockStream.Function.Tests.Bedrock.EventStreamFrames;

namespace BedrockStream.Function.Tests.Bedrock;

/// <summary>End to end over a real socket: what goes on the wire, streaming, errors, cancellation, connection reuse.</summary>
public partial class BedrockChatClientHttpTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    private static readonly byte[] Answer = Bytes.Concat(
        F.Event("messageStart", """{"p":"abc","role":"assistant"}"""), F.TextDelta("Hello"), F.TextDelta(" there"), F.MessageStop(), F.Metadata(5, 2, 99));

    private static BedrockChatClient ModelFor(FakeBedrockServer server, AWSCredentials credentials, HttpClient? http = null) =>
        new(Models.ModelId, server.BaseUri, "us-east-1", null, credentials, http ?? BedrockHttp.Create(), new FixedTime(FixedTime.VectorDate));

    private static Task<Collected> CollectAsync(IChatClient model, IEnumerable<ChatMessage>? messages = null, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Collected.FromAsync(model.GetStreamingResponseAsync(messages ?? Models.Hi, options ?? Models.Options(), cancellationToken));

    /// <summary>The text deltas of <paramref name="updates"/> as they arrive, until it ends or throws.</summary>
    private static async Task ReadTextAsync(IAsyncEnumerable<ChatResponseUpdate> updates, List<string> received, Action? afterEach = null)
    {
        await foreach (ChatResponseUpdate update in updates)
        {
            foreach (var text in update.Contents.OfType<TextContent>())
            {
                received.Add(text.Text);
                afterEach?.Invoke();
            }
        }
    }

    private static Func<RecordedRequest, FakeBedrockServer.ResponseWriter, Task> Replay(byte[] body) => async (_, w) =>
    {
        await w.StartEventStreamAsync();
        await w.SendChunkAsync(body);
        await w.EndAsync();
    };

    [GeneratedRegex("^AWS4-HMAC-SHA256 Credential=(?<ak>[A-Z0-9]+)/(?<scope>\\d{8}/[a-z0-9-]+/[a-z]+/aws4_request), SignedHeaders=(?<sh>[a-z0-9;-]+), Signature=(?<sig>[0-9a-f]{64})$")]
    private static partial Regex AuthorizationPattern();

    [Fact]
    public async Task Request_is_signed_and_shaped_as_bedrock_expects()
    {
        await using var server = new FakeBedrockServer(Replay(Answer));
        var answer = await CollectAsync(ModelFor(server, Models.Basic)).WaitAsync(Patience);
        Assert.Equal(["Hello", " there"], answer.Deltas);
        Assert.Equal("end_turn", answer.Stop);

        RecordedRequest r = Assert.Single(server.Requests);
        Assert.Equal("POST", r.Method);
        Assert.Equal("/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream", r.Target);
        Assert.Equal("application/json", r.Header("Content-Type"));
        Assert.Equal("20260115T120000Z", r.Header("X-Amz-Date"));
        Assert.Null(r.Header("X-Amz-Security-Token"));
        Assert.Equal("""{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":64}}""", r.BodyText);

        Match auth = AuthorizationPattern().Match(r.Header("Authorization") ?? "");
        Assert.True(auth.Success, r.Header("Authorization"));
        Assert.Equal("AKIDEXAMPLE", auth.Groups["ak"].Value);
        Assert.Equal("20260115/us-east-1/bedrock/aws4_request", auth.Groups["scope"].Value);
        Assert.Equal("content-type;host;x-amz-date", auth.Groups["sh"].Value);

        // The signature must cover exactly what was sent (host with port, double-encoded path, body).
        string expected = ReferenceSigV4.Signature(r.Method, r.Target, r.Header("Host")!, r.Header("Content-Type")!, r.Header("X-Amz-Date")!,
            null, r.Body, Secret, "us-east-1", "bedrock");
        Assert.Equal(expected, auth.Groups["sig"].Value);
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Session_credentials_send_and_sign_the_security_token_and_temperature_when_set()
    {
        await using var server = new FakeBedrockServer(Replay(Answer));
        var creds = new SessionAWSCredentials("ASIAEXAMPLE", Secret, "FwoGZXIvYXdzEXAMPLE//token+=");
        await CollectAsync(ModelFor(server, creds), [new(ChatRole.System, "Be brief."), .. Models.Hi], Models.Options(temperature: 0.5f)).WaitAsync(Patience);

        RecordedRequest r = Assert.Single(server.Requests);
        Assert.Equal("FwoGZXIvYXdzEXAMPLE//token+=", r.Header("X-Amz-Security-Token"));
        Match auth = AuthorizationPattern().Match(r.Header("Authorization") ?? "");
        Assert.True(auth.Success);
        Assert.Equal("ASIAEXAMPLE", auth.Groups["ak"].Value);
        Assert.Equal("content-type;host;x-amz-date;x-amz-security-token", auth.Groups["sh"].Value);
        string expected = ReferenceSigV4.Signature(r.Method, r.Target, r.Header("Host")!, r.Header("Content-Type")!, r.Header("X-Amz-Date")!,
            r.Header("X-Amz-Security-Token"), r.Body, Secret, "us-east-1", "bedrock");
        Assert.Equal(expected, auth.Groups["sig"].Value);

        using JsonDocument body = JsonDocument.Parse(r.Body);
        Assert.Equal(0.5, body.RootElement.GetProperty("inferenceConfig").GetProperty("temperature").GetDouble());
        Assert.Equal("Be brief.", body.RootElement.GetProperty("system")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task First_delta_is_yielded_before_the_server_sends_the_rest()
    {
        var firstEventReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool serverGaveUp = false;
        await using var server = new FakeBedrockServer(async (_, w) =>
        {
            await w.StartEventStreamAsync();
            await w.SendChunkAsync(Bytes.Concat(F.Event("messageStart", """{"role":"assistant"}"""), F.TextDelta("first")));
            try
            {
                // The rest is sent only once the client has handed out the first delta. A client that buffers
                // the body never gets there: the server gives up and breaks the connection, failing the test.
                await firstEventReceived.Task.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (TimeoutException)
            {
                serverGaveUp = true;
                w.Reset();
                return;
            }

            await w.SendChunkAsync(Bytes.Concat(F.TextDelta("second"), F.MessageStop(), F.Metadata(1, 2, 3)));
            await w.EndAsync();
        });

        var deltas = new List<string>();
        await ReadTextAsync(ModelFor(server, Models.Basic).GetStreamingResponseAsync(Models.Hi, Models.Options()), deltas, () => firstEventReceived.TrySetResult());

        Assert.False(serverGaveUp);
        Assert.Equal(["first", "second"], deltas);
    }

    [Fact]
    public async Task Multi_byte_text_sent_one_byte_per_chunk_arrives_intact()
    {
        byte[] body = Bytes.Concat(F.Event("messageStart", """{"role":"assistant"}"""), F.TextDelta("héllo "), F.TextDelta("世界 🙂"), F.MessageStop());
        await using var server = new FakeBedrockServer(async (_, w) =>
        {
            await w.StartEventStreamAsync();
            foreach (byte b in body)
            {
                await w.SendChunkAsync([b]);
            }

            await w.EndAsync();
        });

        var answer = await CollectAsync(ModelFor(server, Models.Basic)).WaitAsync(Patience);
        Assert.Equal("héllo 世界 🙂", string.Concat(answer.Deltas));
        Assert.Equal("end_turn", answer.Stop);
    }

    public static TheoryData<int, string, string, string, string?> HttpErrors => new()
    {
        { 400, "ValidationException", """{"message":"The provided model identifier is invalid."}""", "ValidationException", null },
        { 403, "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/", """{"Message":"You don't have access to the model with the specified model ID."}""", "AccessDeniedException", null },
        { 403, "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/", """{"message":"The request signature we calculated does not match."}""", "InvalidSignatureException", null },
        { 404, "ResourceNotFoundException", """{"message":"Model not found."}""", "ResourceNotFoundException", null },
        { 429, "ThrottlingException", """{"message":"Too many requests, please wait before trying again."}""", "ThrottlingException", "7" },
        { 500, "com.amazon.bedrock#InternalServerException", """{"message":"Internal server error"}""", "InternalServerException", null },
        { 503, "ServiceUnavailableException", """{"message":"Service unavailable"}""", "ServiceUnavailableException", null },
    };

    [Theory]
    [MemberData(nameof(HttpErrors))]
    public async Task Http_errors_map_to_ModelException(int status, string errorType, string body, string expectedCode, string? retryAfter)
    {
        string expectedMessage = JsonDocument.Parse(body).RootElement.EnumerateObject().Single().Value.GetString()!;
        await using var server = new FakeBedrockServer((_, w) =>
        {
            var headers = new List<(string, string)> { ("Content-Type", "application/json"), ("x-amzn-ErrorType", errorType), ("x-amzn-RequestId", "req-1") };
            if (retryAfter is not null)
            {
                headers.Add(("Retry-After", retryAfter));
            }

            return w.SendCompleteAsync(status, "Error", Encoding.UTF8.GetBytes(body), [.. headers]);
        });

        var ex = await Assert.ThrowsAsync<ModelException>(() => CollectAsync(ModelFor(server, Models.Basic))).WaitAsync(Patience);
        Assert.Equal(expectedCode, ex.ErrorCode);
        Assert.Equal(status, ex.StatusCode);
        Assert.Equal(expectedMessage, ex.Message);
        Assert.Equal(retryAfter is null ? null : TimeSpan.FromSeconds(int.Parse(retryAfter)), ex.RetryAfter);
    }

    [Fact]
    public async Task Http_error_without_error_type_header_falls_back_to_the_body_then_the_status()
    {
        await using var server = new FakeBedrockServer(async (r, w) =>
        {
            byte[] body = r.BodyText.Contains("first", StringComparison.Ordinal)
                ? Encoding.UTF8.GetBytes("""{"__type":"com.amazonaws#ModelNotReadyException","message":"Not ready"}""")
                : Encoding.UTF8.GetBytes("<html>bad gateway</html>");
            await w.SendCompleteAsync(r.BodyText.Contains("first", StringComparison.Ordinal) ? 429 : 502, "Error", body);
        });
        BedrockChatClient model = ModelFor(server, Models.Basic);

        var fromBody = await Assert.ThrowsAsync<ModelException>(() => CollectAsync(model, [new(ChatRole.User, "first")])).WaitAsync(Patience);
        Assert.Equal("ModelNotReadyException", fromBody.ErrorCode);
        Assert.Equal(429, fromBody.StatusCode);
        Assert.Null(fromBody.RetryAfter);

        var fromStatus = await Assert.ThrowsAsync<ModelException>(() => CollectAsync(model, [new(ChatRole.User, "second")])).WaitAsync(Patience);
        Assert.Equal("Http502", fromStatus.ErrorCode);
        Assert.Equal(502, fromStatus.StatusCode);
        Assert.Equal("<html>bad gateway</html>", fromStatus.Message);
    }

    [Fact]
    public async Task Exception_frame_mid_stream_over_http_is_thrown_after_the_delta()
    {
        await using var server = new FakeBedrockServer(Replay(Bytes.Concat(F.TextDelta("partial"),
            F.Exception("throttlingException", """{"message":"Too many tokens per minute."}"""))));
        var received = new List<string>();
        var ex = await Assert.ThrowsAsync<ModelException>(() => ReadTextAsync(ModelFor(server, Models.Basic).GetStreamingResponseAsync(Models.Hi, Models.Options()), received)).WaitAsync(Patience);

        Assert.Equal(["partial"], received);
        Assert.Equal("ThrottlingException", ex.ErrorCode);
        Assert.Equal("Too many tokens per minute.", ex.Message);
    }

    [Fact]
    public async Task Properly_ended_body_without_message_stop_is_truncated()
    {
        await using var server = new FakeBedrockServer(Replay(Bytes.Concat(F.TextDelta("half"))));
        var ex = await Assert.ThrowsAsync<ModelException>(() => CollectAsync(ModelFor(server, Models.Basic))).WaitAsync(Patience);
        Assert.Equal(ModelErrorCodes.StreamTruncated, ex.ErrorCode);
    }

    [Fact]
    public async Task Connection_reset_mid_stream_is_a_connection_error()
    {
        await using var server = new FakeBedrockServer(async (_, w) =>
        {
            await w.StartEventStreamAsync();
            await w.SendChunkAsync(F.TextDelta("before the reset"));
            w.Reset();
        });

        var received = new List<string>();
        var ex = await Assert.ThrowsAsync<ModelException>(() => ReadTextAsync(ModelFor(server, Models.Basic).GetStreamingResponseAsync(Models.Hi, Models.Options()), received)).WaitAsync(Patience);

        Assert.Equal(["before the reset"], received);
        Assert.Equal(ModelErrorCodes.ConnectionError, ex.ErrorCode);
    }

    [Fact]
    public async Task Unreachable_endpoint_is_a_connection_error()
    {
        Uri closed;
        await using (var server = new FakeBedrockServer(Replay(Answer)))
        {
            closed = server.BaseUri; // nothing listens there once the server is gone
        }

        var model = new BedrockChatClient(Models.ModelId, closed, "us-east-1", null, Models.Basic, BedrockHttp.Create());
        var ex = await Assert.ThrowsAsync<ModelException>(() => CollectAsync(model)).WaitAsync(Patience);
        Assert.Equal(ModelErrorCodes.ConnectionError, ex.ErrorCode);
    }

    [Fact]
    public async Task Cancellation_stops_reading_promptly_and_closes_the_response()
    {
        var clientClosed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new FakeBedrockServer(async (_, w) =>
        {
            await w.StartEventStreamAsync();
            await w.SendChunkAsync(F.TextDelta("only this"));
            // Then nothing: the model "stalls". The client must stop on cancellation and drop the connection.
            clientClosed.TrySetResult(await w.WaitForClientCloseAsync(Patience));
        });

        using var cts = new CancellationTokenSource();
        var received = new List<string>();
        // After the first delta the client cancels: the pending read of the stalled body must end now.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            ReadTextAsync(ModelFor(server, Models.Basic).GetStreamingResponseAsync(Models.Hi, Models.Options(), cts.Token), received, cts.Cancel)).WaitAsync(Patience);

        Assert.Equal(["only this"], received);
        Assert.True(await clientClosed.Task.WaitAsync(Patience), "the client kept the stalled response open");
    }

    [Fact]
    public async Task Consecutive_calls_reuse_one_connection()
    {
        await using var server = new FakeBedrockServer(Replay(Answer));
        using HttpClient http = BedrockHttp.Create();
        BedrockChatClient model = ModelFor(server, Models.Basic, http);

        for (int i = 0; i < 3; i++)
        {
            var answer = await CollectAsync(model).WaitAsync(Patience);
            Assert.Equal(["Hello", " there"], answer.Deltas);
        }

        Assert.Equal(3, server.Requests.Count);
        Assert.Equal(1, server.ConnectionCount);
    }

    [Fact]
    public async Task Missing_credentials_fail_before_sending_as_a_model_exception()
    {
        await using var server = new FakeBedrockServer(Replay(Answer));
        var ex = await Assert.ThrowsAsync<ModelException>(() => CollectAsync(ModelFor(server, new FailingCredentials()))).WaitAsync(Patience);
        Assert.Equal(ModelErrorCodes.CredentialsError, ex.ErrorCode);
        Assert.Empty(server.Requests);
    }

    private sealed class FailingCredentials : AWSCredentials
    {
        public override ImmutableCredentials GetCredentials() => throw new AmazonClientException("Unable to find credentials");
        public override Task<ImmutableCredentials> GetCredentialsAsync() => Task.FromException<ImmutableCredentials>(new AmazonClientException("Unable to find credentials"));
    }
}
