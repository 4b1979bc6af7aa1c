using System.Text;
using Amazon.Runtime.EventStreams;
using BedrockStream.Function.Local;

namespace BedrockStream.Function.Tests.EndToEnd;

/// <summary>The fake model is only useful if it is faithful: real SigV4 rules, real event-stream frames.</summary>
public sealed class FakeBedrockTests
{
    [Fact]
    public void SigV4_verifier_accepts_the_botocore_vector_and_rejects_a_single_encoded_canonical_uri()
    {
        // reference/sigv4-vector.txt (computed by botocore, re-verified with AWSSDK.Core).
        var body = Encoding.UTF8.GetBytes("{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}],\"inferenceConfig\":{\"maxTokens\":64}}");
        var headers = new Dictionary<string, string>
        {
            ["Content-Type"] = "application/json",
            ["Host"] = "bedrock-runtime.us-east-1.amazonaws.com",
            ["X-Amz-Date"] = "20260115T120000Z",
            ["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260115/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=2b14bdc7fa65095d0d061e9bd33ef0d5e5f55c461c8b943064e3fedc136ac8e8",
        };
        const string secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

        Assert.Null(SigV4Verifier.Verify("POST", "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream", "", headers, body, "AKIDEXAMPLE", secret, "us-east-1", "bedrock", null));
        Assert.Equal("/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse-stream", SigV4Verifier.CanonicalUri("/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream"));
        // A client that signed the path with a raw ':' (or a single %3A) gets InvalidSignatureException.
        Assert.NotNull(SigV4Verifier.Verify("POST", "/model/anthropic.claude-3-haiku-20240307-v1:0/converse-stream", "", headers, body, "AKIDEXAMPLE", secret, "us-east-1", "bedrock", null));
        Assert.NotNull(SigV4Verifier.Verify("POST", "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream", "", headers, [.. body, (byte)' '], "AKIDEXAMPLE", secret, "us-east-1", "bedrock", null));
        Assert.NotNull(SigV4Verifier.Verify("POST", "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream", "", headers, body, "AKIDOTHER", secret, "us-east-1", "bedrock", null));
    }

    [Fact]
    public void Frames_decode_with_the_sdk_and_carry_bedrock_headers_and_padding()
    {
        var frame = EventStreamFrames.ContentBlockDelta("café 🚀");
        var delta = EventStreamMessage.FromBuffer(frame, 0, frame.Length);
        Assert.Equal("contentBlockDelta", delta.Headers[":event-type"].AsString());
        Assert.Equal("event", delta.Headers[":message-type"].AsString());
        Assert.Equal("application/json", delta.Headers[":content-type"].AsString());
        var json = Encoding.UTF8.GetString(delta.Payload);
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal("café 🚀", doc.RootElement.GetProperty("delta").GetProperty("text").GetString());
        Assert.Equal(0, doc.RootElement.GetProperty("contentBlockIndex").GetInt32());
        Assert.Contains("\"p\":\"", json);

        var exception = EventStreamFrames.Exception("modelStreamErrorException", "Model Stream Error", 500);
        var decoded = EventStreamMessage.FromBuffer(exception, 0, exception.Length);
        Assert.Equal("exception", decoded.Headers[":message-type"].AsString());
        Assert.Equal("modelStreamErrorException", decoded.Headers[":exception-type"].AsString());
        Assert.Contains("\"originalStatusCode\":500", Encoding.UTF8.GetString(decoded.Payload));

        var bad = EventStreamFrames.WithBadCrc(EventStreamFrames.MessageStop("end_turn"));
        Assert.ThrowsAny<Exception>(() => EventStreamMessage.FromBuffer(bad, 0, bad.Length));
    }

    [Fact]
    public async Task Unsigned_requests_are_rejected_with_403_and_recorded()
    {
        await using var host = await LocalHost.StartAsync(new LocalHostOptions { StartFunction = false, Log = _ => { } });
        using var http = new HttpClient();

        using var response = await http.PostAsync(new Uri(host.FakeModelEndpoint!, "/model/us.amazon.nova-2-lite-v1%3A0/converse-stream"),
            new StringContent("{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}", Encoding.UTF8, "application/json"));

        Assert.Equal(403, (int)response.StatusCode);
        Assert.StartsWith("MissingAuthenticationTokenException", response.Headers.GetValues("x-amzn-ErrorType").Single());
        var seen = Assert.Single(host.FakeModel!.Requests);
        Assert.Equal("us.amazon.nova-2-lite-v1:0", seen.ModelId);
        Assert.NotNull(seen.SignatureError);
    }

    [Fact]
    public void Answers_are_deterministic_and_honour_directives_and_maxTokens()
    {
        var a = FakeAnswer.Tokens("#tokens:7 one two", null, out var truncated);
        Assert.Equal(7, a.Count);
        Assert.False(truncated);
        Assert.Equal(a, FakeAnswer.Tokens("#tokens:7 one two", null, out _));
        Assert.Equal(3, FakeAnswer.Tokens("#tokens:7 one two", 3, out truncated).Count);
        Assert.True(truncated);
        var directives = FakeAnswer.ParseDirectives("#fault:stream-throttling@5 #tokens:9 #reason:4 #tool:current_time{\"timeZone\":\"UTC\"} rest #tokens:3");
        Assert.Equal(("rest #tokens:3", 9, 4), (directives.Text, directives.Tokens, directives.ReasoningTokens));
        Assert.Equal(new FakeFault(FakeFaultKind.StreamThrottling, 5), directives.Fault);
        Assert.Equal(("current_time", "{\"timeZone\":\"UTC\"}", false), (directives.ToolName, directives.ToolInput, directives.ToolLoop));
        Assert.Equal(("probe", true, 12), (FakeAnswer.ParseDirectives("#tool-loop:probe #reason hi").ToolName, FakeAnswer.ParseDirectives("#tool-loop:probe #reason hi").ToolLoop, FakeAnswer.ParseDirectives("#tool-loop:probe #reason hi").ReasoningTokens));
    }

    [Fact]
    public void Echo_answers_with_the_rest_of_the_prompt_as_it_is_in_small_pieces()
    {
        const string text = "## Title\n\n- one <script>x()</script>\n- two 🚀🚀🚀🚀🚀\n\n```\ncode\n```";
        var tokens = FakeAnswer.Tokens("#echo #tokens:2 " + text, null, out var truncated);

        Assert.Equal(text, string.Concat(tokens));
        Assert.False(truncated);
        Assert.True(tokens.Count >= 10, $"{tokens.Count} pieces");
        Assert.All(tokens, t => Assert.False(char.IsHighSurrogate(t[^1]), $"a piece ends inside a surrogate pair: {t}"));
        Assert.Equal(3, FakeAnswer.Tokens("#echo " + text, 3, out truncated).Count);
        Assert.True(truncated);
        // Without text to echo, the usual answer.
        Assert.StartsWith("Fake answer to 0 words:", string.Concat(FakeAnswer.Tokens("#echo", null, out _)));
    }
}
