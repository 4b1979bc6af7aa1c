using System.Text.Json.Nodes;

using BedrockStream.Function.Runtime;

namespace BedrockStream.Function.Tests.Handler;

/// <summary>One structured JSON line per invocation with CloudWatch EMF; no content unless LOG_CONTENT=true.</summary>
public class InvocationLogTests
{
    private const string SecretPrompt = "my-secret-prompt-7f3a";
    private static readonly string[] SecretAnswer = ["classified-", "answer-", "9b2e"];

    private static Harness Answering(bool logContent)
    {
        var time = new ManualTimeProvider();
        var model = new FakeChatClient(time,
        [
            Step.Advance(120), Step.Delta(SecretAnswer[0]), Step.Advance(10), Step.Delta(SecretAnswer[1]), Step.Delta(SecretAnswer[2]),
            Step.Stop("end_turn"), Step.Meta(21, 3), Step.Advance(70),
        ]);
        return new Harness(model, new FunctionSettings("us.amazon.nova-2-lite-v1:0", LogContent: logContent), time);
    }

    [Fact]
    public void Signature_errors_lose_the_quoted_canonical_request_and_its_session_token()
    {
        const string token = "IQoJb3JpZ2luX2VjEXAMPLETOKEN";
        var message = "The request signature we calculated does not match the signature you provided.\n\n" +
                      "The Canonical String for this request should have been\n'POST\n/model/x/converse-stream\n\n" +
                      $"host:bedrock-runtime.us-east-1.amazonaws.com\nx-amz-security-token:{token}\n'\n\n" +
                      "The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n...'";
        var log = new InvocationLog("req", "model", logContent: false, TimeProvider.System);

        log.SetError(new ModelException("InvalidSignatureException", message, 403));

        Assert.DoesNotContain(token, log.ErrorMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("Canonical String", log.ErrorMessage, StringComparison.Ordinal);
        Assert.StartsWith("The request signature we calculated does not match", log.ErrorMessage, StringComparison.Ordinal);
        Assert.DoesNotContain(token, InvocationLog.WithoutSigningDetails("bad header x-amz-security-token=" + token), StringComparison.Ordinal);
        Assert.Equal("Too many requests", InvocationLog.WithoutSigningDetails("Too many requests"));
    }

    [Fact]
    public async Task A_success_writes_one_json_line_with_all_fields_and_the_emf_block()
    {
        var h = Answering(logContent: false);

        await h.RunAsync(Events.Post($"{{\"prompt\":\"{SecretPrompt}\"}}"));

        string text = h.Log.ToString();
        Assert.EndsWith("\n", text);
        Assert.Equal(1, text.Count(c => c == '\n'));
        var line = JsonNode.Parse(text)!.AsObject();
        Assert.Equal("8476a536-e9f4-11e8-9739-2dfe598c3fcd", (string?)line["requestId"]);
        Assert.Equal("us.amazon.nova-2-lite-v1:0", (string?)line["model"]);
        Assert.Equal(200, (int?)line["status"]);
        Assert.Equal(120, (long?)line["ttftMs"]);
        Assert.Equal(200, (long?)line["durationMs"]);
        Assert.Equal(21, (int?)line["inputTokens"]);
        Assert.Equal(3, (int?)line["outputTokens"]);
        Assert.Equal(0, (int?)line["cacheReadInputTokens"]);
        Assert.Equal(0, (int?)line["cacheWriteInputTokens"]);
        Assert.Equal(0, (int?)line["toolCalls"]);
        Assert.Equal("end_turn", (string?)line["stopReason"]);
        Assert.Equal(h.Response.Chunks.Sum(c => c.Length), (long?)line["bytesSent"]);
        Assert.False(line.ContainsKey("errorType"));

        var expectedAws = JsonNode.Parse($$"""
            {"Timestamp":{{h.Time.GetUtcNow().ToUnixTimeMilliseconds()}},"CloudWatchMetrics":[{"Namespace":"BedrockStream","Dimensions":[["model"]],
             "Metrics":[{"Name":"TimeToFirstToken","Unit":"Milliseconds"},{"Name":"Duration","Unit":"Milliseconds"},
                        {"Name":"InputTokens","Unit":"Count"},{"Name":"OutputTokens","Unit":"Count"},
                        {"Name":"CacheReadInputTokens","Unit":"Count"},{"Name":"CacheWriteInputTokens","Unit":"Count"},{"Name":"ToolCalls","Unit":"Count"}]}]}
            """);
        Assert.True(JsonNode.DeepEquals(expectedAws, line["_aws"]), line["_aws"]!.ToJsonString());
        Assert.Equal(120, (long?)line["TimeToFirstToken"]);
        Assert.Equal(200, (long?)line["Duration"]);
        Assert.Equal(21, (long?)line["InputTokens"]);
        Assert.Equal(3, (long?)line["OutputTokens"]);
        Assert.Equal(0, (long?)line["CacheReadInputTokens"]);
        Assert.Equal(0, (long?)line["CacheWriteInputTokens"]);
        Assert.Equal(0, (long?)line["ToolCalls"]);
    }

    [Theory]
    [InlineData(ResponseFormat.Sse)]
    [InlineData(ResponseFormat.Text)]
    public async Task Neither_prompt_nor_answer_is_logged_by_default(ResponseFormat format)
    {
        var h = Answering(logContent: false);
        h.Settings = h.Settings with { Format = format };

        await h.RunAsync(Events.Post($"{{\"prompt\":\"{SecretPrompt}\"}}"));

        string log = h.Log.ToString();
        Assert.Contains("classified-answer-9b2e", h.Response.Body.Replace("\"}\n\ndata: {\"text\":\"", ""));   // the answer was streamed...
        Assert.DoesNotContain(SecretPrompt, log);                                                           // ...but not logged
        Assert.DoesNotContain("secret", log);
        Assert.DoesNotContain("classified", log);
        Assert.DoesNotContain("9b2e", log);
        Assert.False(JsonNode.Parse(log)!.AsObject().ContainsKey("prompt"));
    }

    [Fact]
    public async Task Log_content_true_adds_the_prompt_and_the_whole_answer()
    {
        var h = Answering(logContent: true);

        await h.RunAsync(Events.Post($"{{\"prompt\":\"{SecretPrompt}\"}}"));

        var line = h.LogJson;
        Assert.Equal(SecretPrompt, (string?)line["prompt"]);
        Assert.Equal("classified-answer-9b2e", (string?)line["answer"]);   // copied: the model reuses its buffers
    }

    [Fact]
    public async Task A_rejected_request_logs_its_status_and_error_type_without_model_metrics()
    {
        var h = new Harness(FakeChatClient.Answer("x"));

        await h.RunAsync(Events.Post("{\"prompt\":\"" + SecretPrompt + "\",\"maxTokens\":0}"));

        var line = h.LogJson.AsObject();
        Assert.Equal(400, (int?)line["status"]);
        Assert.Equal("InvalidRequest", (string?)line["errorType"]);
        Assert.Null(line["ttftMs"]);
        Assert.False(line.ContainsKey("TimeToFirstToken"));
        Assert.True(line.ContainsKey("Duration"));
        var metrics = line["_aws"]!["CloudWatchMetrics"]![0]!["Metrics"]!.AsArray().Select(m => (string?)m!["Name"]);
        Assert.Equal(["Duration"], metrics);   // only metrics whose values exist are declared
        Assert.DoesNotContain(SecretPrompt, h.Log.ToString());
    }

    [Fact]
    public async Task A_bedrock_error_logs_its_code_and_original_message()
    {
        var h = new Harness(new FakeChatClient(null, [Step.Throw("AccessDeniedException", "role x is not authorized")]));

        await h.RunAsync(Events.Post("{\"prompt\":\"hi\"}"));

        var line = h.LogJson;
        Assert.Equal(502, (int?)line["status"]);
        Assert.Equal("AccessDeniedException", (string?)line["errorType"]);
        Assert.Equal("role x is not authorized", (string?)line["errorMessage"]);
    }

    [Fact]
    public async Task A_mid_stream_failure_still_writes_exactly_one_line()
    {
        var h = new Harness(new FakeChatClient(null, [Step.Delta("a"), Step.Throw("ModelStreamErrorException")]));

        await Assert.ThrowsAsync<ModelException>(() => h.RunAsync(Events.Post("{\"prompt\":\"hi\"}")));

        var line = h.LogJson;
        Assert.Equal(200, (int?)line["status"]);
        Assert.Equal("ModelStreamErrorException", (string?)line["errorType"]);
    }

    [Fact]
    public async Task A_timeout_and_retries_are_logged()
    {
        var time = new ManualTimeProvider();
        var h = new Harness(new FakeChatClient(time, [Step.Throw("ThrottlingException")], [Step.Hang()]), new FunctionSettings("m"), time);

        var run = h.RunAsync(Events.Post("{\"prompt\":\"hi\"}"), deadlineIn: TimeSpan.FromSeconds(10));
        await h.Model.Hanging.Task.WaitAsync(TestTimeouts.Signal);
        time.Advance(TimeSpan.FromSeconds(10));
        await run.WaitAsync(TestTimeouts.Signal);

        var line = h.LogJson;
        Assert.Equal(504, (int?)line["status"]);
        Assert.Equal("Timeout", (string?)line["errorType"]);
        Assert.Equal(1, (int?)line["retries"]);
    }

    [Fact]
    public void Each_invocation_writes_its_line_in_a_single_write_call()
    {
        var writer = new CountingWriter();
        var log = new InvocationLog("r", "m", logContent: false, TimeProvider.System) { Status = 200 };

        log.WriteTo(writer);

        Assert.Equal(1, writer.Writes);
        Assert.EndsWith("}\n", writer.ToString());
    }

    private sealed class CountingWriter : StringWriter
    {
        public int Writes { get; private set; }
        public override void Write(char value) { Writes++; base.Write(value); }
        public override void Write(char[] buffer, int index, int count) { Writes++; base.Write(buffer, index, count); }
        public override void Write(string? value) { Writes++; base.Write(value); }
        public override void Write(ReadOnlySpan<char> buffer) { Writes++; base.Write(buffer); }
    }
}
