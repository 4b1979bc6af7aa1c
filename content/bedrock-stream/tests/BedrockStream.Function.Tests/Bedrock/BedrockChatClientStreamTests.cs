using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;
using F = BedrockStream.Function.Tests.Bedrock.EventStreamFrames;

namespace BedrockStream.Function.Tests.Bedrock;

/// <summary>
/// Response-body parsing through <see cref="BedrockChatClient"/>, with the body delivered in controlled pieces and the
/// frames built by AWSSDK.Core's own event-stream encoder.
/// </summary>
public class BedrockChatClientStreamTests
{
    private static readonly byte[] MessageStart = F.Event("messageStart", """{"p":"abcdefghijk","role":"assistant"}""");

    private static byte[] FullAnswer(params string[] deltas) => Bytes.Concat(
        [MessageStart, .. deltas.Select(d => F.TextDelta(d)), F.Event("contentBlockStop", """{"contentBlockIndex":0,"p":"x"}"""),
         F.MessageStop("end_turn"), F.Metadata(22, 55, 2040)]);

    private static Task<Collected> Run(IReadOnlyList<byte[]> pieces) => Models.RunAsync(new PiecewiseHandler(pieces));

    /// <summary>Streams the body and collects the text deltas until the stream throws (which this returns).</summary>
    private static async Task<(List<string> Received, ModelException Error)> RunUntilErrorAsync(IReadOnlyList<byte[]> pieces)
    {
        var received = new List<string>();
        var error = await Assert.ThrowsAsync<ModelException>(async () =>
        {
            await foreach (ChatResponseUpdate update in Models.Over(new PiecewiseHandler(pieces)).GetStreamingResponseAsync(Models.Hi, Models.Options()))
                received.AddRange(update.Contents.OfType<TextContent>().Select(t => t.Text));
        });
        return (received, error);
    }

    [Fact]
    public async Task Text_deltas_arrive_in_order_then_stop_then_usage()
    {
        var answer = await Run([FullAnswer("Hel", "lo", ", world")]);
        Assert.Equal(["Hel", "lo", ", world"], answer.Deltas);
        Assert.Equal("end_turn", answer.Stop);
        Assert.Equal(22, answer.Usage?.InputTokenCount);
        Assert.Equal(55, answer.Usage?.OutputTokenCount);
        Assert.Equal(77, answer.Usage?.TotalTokenCount);
    }

    [Fact]
    public async Task Updates_come_in_wire_order_like_AWS_Bedrock_MEAI_makes_them()
    {
        var answer = await Run([FullAnswer("a", "b")]);

        // messageStart → role only; deltas → text; contentBlockStop → nothing; messageStop → finish reason; metadata → usage.
        Assert.Equal(["messageStart", "contentBlockDelta", "contentBlockDelta", "messageStop", "metadata"],
            answer.Updates.Select(u => ((ConverseStreamEvent)u.RawRepresentation!).EventType));
        Assert.Empty(answer.Updates[0].Contents);
        Assert.All(answer.Updates, u => Assert.Equal(ChatRole.Assistant, u.Role));
        Assert.Single(answer.Updates.Select(u => u.MessageId).Distinct());
        Assert.Single(answer.Updates.Select(u => u.ResponseId).Distinct());
        Assert.Null(answer.Updates[2].FinishReason);
        Assert.Equal(ChatFinishReason.Stop, answer.Updates[3].FinishReason);
        Assert.Equal(ChatFinishReason.Stop, answer.Updates[4].FinishReason);
        Assert.IsType<UsageContent>(Assert.Single(answer.Updates[4].Contents));
    }

    [Fact]
    public async Task Multi_byte_text_survives_one_byte_reads()
    {
        var answer = await Run(Bytes.OneByOne(FullAnswer("héllo ", "世界 ", "🙂")));
        Assert.Equal(["héllo ", "世界 ", "🙂"], answer.Deltas);
        Assert.Equal("end_turn", answer.Stop);
    }

    [Fact]
    public async Task Multi_byte_text_survives_random_small_reads()
    {
        byte[] body = FullAnswer("héllo ", "世界 ", "🙂", " ünïcödé ", "テキスト");
        for (int seed = 1; seed <= 25; seed++)
        {
            var answer = await Run(Bytes.RandomPieces(body, seed));
            Assert.Equal("héllo 世界 🙂 ünïcödé テキスト", string.Concat(answer.Deltas));
            Assert.Equal("end_turn", answer.Stop);
            Assert.Equal(55, answer.Usage?.OutputTokenCount);
        }
    }

    [Fact]
    public async Task Json_escapes_in_text_are_unescaped_to_utf8()
    {
        byte[] delta = F.Event("contentBlockDelta", """{"contentBlockIndex":0,"delta":{"text":"h\u00e9 \ud83d\ude42 \"q\" \\ \n\t"},"p":"abcd"}""");
        var answer = await Run([Bytes.Concat(MessageStart, delta, F.MessageStop())]);
        Assert.Equal(["hé 🙂 \"q\" \\ \n\t"], answer.Deltas);
    }

    [Fact]
    public async Task Unknown_fields_events_and_unmapped_deltas_are_ignored()
    {
        byte[] body = Bytes.Concat(
            MessageStart,
            F.Event("contentBlockDelta", """{"contentBlockIndex":2,"delta":{"citation":{"title":"t"}},"p":"x"}"""),
            F.Event("contentBlockDelta", """{"p":"zz","future":[1,{"x":null}],"contentBlockIndex":0,"delta":{"extra":{"n":1},"text":"kept"}}"""),
            F.Event("someFutureEvent", """{"whatever":true}"""),
            F.Event("contentBlockStop", """{"contentBlockIndex":0}"""),
            F.Event("messageStop", """{"additionalModelResponseFields":{"delta":{"stop_sequence":null}},"stopReason":"max_tokens","p":"ab"}"""),
            F.Event("metadata", """{"metrics":{"latencyMs":7},"usage":{"inputTokens":1,"outputTokens":2,"serverToolUsage":{},"totalTokens":3},"trace":{"guardrail":{}},"p":"x"}"""));

        var answer = await Run([body]);
        Assert.Equal(["kept"], answer.Deltas);
        Assert.Equal(["kept"], answer.Updates.SelectMany(u => u.Contents).Where(c => c is not UsageContent).Select(c => ((TextContent)c).Text));
        Assert.Equal("max_tokens", answer.Stop);
        Assert.Equal(ChatFinishReason.Length, answer.Updates[^1].FinishReason);
        Assert.Equal(1, answer.Usage?.InputTokenCount);
        Assert.Equal(2, answer.Usage?.OutputTokenCount);
        // additionalModelResponseFields travel as the stop update's additional properties, as AWS.Bedrock.MEAI puts them.
        var stop = answer.Updates.Single(u => BedrockStopReason.Of(u) is not null);
        Assert.Equal("""{"stop_sequence":null}""", stop.AdditionalProperties!["delta"]!.ToString());
    }

    public static TheoryData<string, string> ExceptionTypes => new()
    {
        { "throttlingException", "ThrottlingException" },
        { "modelStreamErrorException", "ModelStreamErrorException" },
        { "internalServerException", "InternalServerException" },
        { "validationException", "ValidationException" },
        { "serviceUnavailableException", "ServiceUnavailableException" },
    };

    [Theory]
    [MemberData(nameof(ExceptionTypes))]
    public async Task Exception_frame_after_a_delta_throws_ModelException_with_the_code(string exceptionType, string expectedCode)
    {
        byte[] body = Bytes.Concat(MessageStart, F.TextDelta("partial"), F.Exception(exceptionType, """{"message":"It broke."}"""), F.TextDelta("never"));

        var (received, ex) = await RunUntilErrorAsync([body]);

        Assert.Equal(["partial"], received);
        Assert.Equal(expectedCode, ex.ErrorCode);
        Assert.Equal("It broke.", ex.Message);
        Assert.Null(ex.StatusCode);
    }

    [Fact]
    public async Task Model_stream_error_keeps_the_models_original_message()
    {
        byte[] body = Bytes.Concat(MessageStart, F.TextDelta("x"),
            F.Exception("modelStreamErrorException", """{"message":"Model Stream Error","originalStatusCode":500,"originalMessage":"The model stream failed."}"""));
        var ex = await Assert.ThrowsAsync<ModelException>(() => Run([body]));
        Assert.Equal("ModelStreamErrorException", ex.ErrorCode);
        Assert.Contains("Model Stream Error", ex.Message, StringComparison.Ordinal);
        Assert.Contains("500", ex.Message, StringComparison.Ordinal);
        Assert.Contains("The model stream failed.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Error_message_type_uses_the_error_headers()
    {
        byte[] error = F.Frame("", (":message-type", "error"), (":error-code", "InternalFailure"), (":error-message", "Something failed"));
        var ex = await Assert.ThrowsAsync<ModelException>(() => Run([Bytes.Concat(MessageStart, F.TextDelta("x"), error)]));
        Assert.Equal("InternalFailure", ex.ErrorCode);
        Assert.Equal("Something failed", ex.Message);
    }

    [Fact]
    public async Task Corrupted_message_crc_is_a_malformed_stream_after_the_good_frames()
    {
        byte[] bad = F.TextDelta("bad");
        bad[^6] ^= 0x20; // a payload byte: the message CRC no longer matches

        var (received, ex) = await RunUntilErrorAsync([Bytes.Concat(MessageStart, F.TextDelta("good"), bad, F.MessageStop())]);

        Assert.Equal(["good"], received);
        Assert.Equal(ModelErrorCodes.MalformedStream, ex.ErrorCode);
    }

    [Fact]
    public async Task Corrupted_prelude_crc_is_a_malformed_stream()
    {
        byte[] bad = F.TextDelta("bad");
        bad[9] ^= 0x01; // inside the prelude CRC
        var ex = await Assert.ThrowsAsync<ModelException>(() => Run(Bytes.OneByOne(Bytes.Concat(MessageStart, bad, F.MessageStop()))));
        Assert.Equal(ModelErrorCodes.MalformedStream, ex.ErrorCode);
    }

    [Fact]
    public async Task Payload_that_is_not_json_is_a_malformed_stream()
    {
        var ex = await Assert.ThrowsAsync<ModelException>(() => Run([Bytes.Concat(MessageStart, F.Event("contentBlockDelta", "{not json"), F.MessageStop())]));
        Assert.Equal(ModelErrorCodes.MalformedStream, ex.ErrorCode);
    }

    [Fact]
    public async Task Body_ending_without_message_stop_is_truncated_even_after_text()
    {
        var (received, ex) = await RunUntilErrorAsync([Bytes.Concat(MessageStart, F.TextDelta("half an ans"))]);

        Assert.Equal(["half an ans"], received);
        Assert.Equal(ModelErrorCodes.StreamTruncated, ex.ErrorCode);
    }

    [Fact]
    public async Task Body_ending_inside_a_frame_is_truncated()
    {
        byte[] stop = F.MessageStop();
        var ex = await Assert.ThrowsAsync<ModelException>(() => Run([Bytes.Concat(MessageStart, F.TextDelta("x"), stop[..10])]));
        Assert.Equal(ModelErrorCodes.StreamTruncated, ex.ErrorCode);
    }

    [Fact]
    public async Task Missing_metadata_after_message_stop_is_still_a_complete_answer()
    {
        var answer = await Run([Bytes.Concat(MessageStart, F.TextDelta("ok"), F.MessageStop("stop_sequence"))]);
        Assert.Equal(["ok"], answer.Deltas);
        Assert.Equal("stop_sequence", answer.Stop);
        Assert.Null(answer.Usage);
    }

    [Fact]
    public async Task Response_body_is_disposed_when_the_consumer_stops_early()
    {
        var handler = new PiecewiseHandler([FullAnswer("a", "b", "c")]);
        await foreach (ChatResponseUpdate update in Models.Over(handler).GetStreamingResponseAsync(Models.Hi, Models.Options()))
        {
            break;
        }

        Assert.True(handler.Body!.Disposed);
    }
}
