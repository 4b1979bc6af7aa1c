using System.Text;
using BedrockStream.Function.Bedrock;
using F = BedrockStream.Function.Tests.Bedrock.EventStreamFrames;

namespace BedrockStream.Function.Tests.Bedrock;

/// <summary>Response-body parsing through <see cref="BedrockChatModel"/>, with the body delivered in controlled pieces.</summary>
public class ConverseStreamParsingTests
{
    private static readonly byte[] MessageStart = F.Event("messageStart", """{"p":"abcdefghijk","role":"assistant"}""");

    private static byte[] FullAnswer(params string[] deltas) => Bytes.Concat(
        [MessageStart, .. deltas.Select(d => F.TextDelta(d)), F.Event("contentBlockStop", """{"contentBlockIndex":0,"p":"x"}"""),
         F.MessageStop("end_turn"), F.Metadata(22, 55, 2040)]);

    private static Task<(List<string> Deltas, string? Stop, ModelEvent? Meta)> Run(IReadOnlyList<byte[]> pieces) =>
        Models.CollectAsync(Models.Over(new PiecewiseHandler(pieces)), Models.Hi());

    [Fact]
    public async Task Text_deltas_arrive_in_order_then_stop_then_metadata()
    {
        var (deltas, stop, meta) = await Run([FullAnswer("Hel", "lo", ", world")]);
        Assert.Equal(["Hel", "lo", ", world"], deltas);
        Assert.Equal("end_turn", stop);
        Assert.NotNull(meta);
        Assert.Equal(new TokenUsage(22, 55), meta.Value.Usage);
        Assert.Equal(2040, meta.Value.LatencyMs);
    }

    [Fact]
    public async Task Events_come_in_wire_order()
    {
        var kinds = new List<ModelEventKind>();
        await foreach (ModelEvent e in Models.Over(new PiecewiseHandler([FullAnswer("a", "b")])).StreamAsync(Models.Hi()))
        {
            kinds.Add(e.Kind);
        }

        Assert.Equal([ModelEventKind.TextDelta, ModelEventKind.TextDelta, ModelEventKind.MessageStop, ModelEventKind.Metadata], kinds);
    }

    [Fact]
    public async Task Multi_byte_text_survives_one_byte_reads()
    {
        var (deltas, stop, _) = await Run(Bytes.OneByOne(FullAnswer("héllo ", "世界 ", "🙂")));
        Assert.Equal("héllo 世界 🙂", string.Concat(deltas));
        Assert.Equal(["héllo ", "世界 ", "🙂"], deltas);
        Assert.Equal("end_turn", stop);
    }

    [Fact]
    public async Task Multi_byte_text_survives_random_small_reads()
    {
        byte[] body = FullAnswer("héllo ", "世界 ", "🙂", " ünïcödé ", "テキスト");
        for (int seed = 1; seed <= 25; seed++)
        {
            var (deltas, stop, meta) = await Run(Bytes.RandomPieces(body, seed));
            Assert.Equal("héllo 世界 🙂 ünïcödé テキスト", string.Concat(deltas));
            Assert.Equal("end_turn", stop);
            Assert.Equal(55, meta?.Usage.OutputTokens);
        }
    }

    [Fact]
    public async Task Json_escapes_in_text_are_unescaped_to_utf8()
    {
        byte[] delta = F.Event("contentBlockDelta", """{"contentBlockIndex":0,"delta":{"text":"h\u00e9 \ud83d\ude42 \"q\" \\ \n\t"},"p":"abcd"}""");
        var (deltas, _, _) = await Run([Bytes.Concat(MessageStart, delta, F.MessageStop())]);
        Assert.Equal(["hé 🙂 \"q\" \\ \n\t"], deltas);
    }

    [Fact]
    public async Task Unknown_fields_events_and_non_text_deltas_are_ignored()
    {
        byte[] body = Bytes.Concat(
            MessageStart,
            F.Event("contentBlockStart", """{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"t1","name":"get"}},"p":"x"}"""),
            F.Event("contentBlockDelta", """{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"a\":"}},"p":"x"}"""),
            F.Event("contentBlockDelta", """{"contentBlockIndex":2,"delta":{"reasoningContent":{"text":"thinking"}},"p":"x"}"""),
            F.Event("contentBlockDelta", """{"p":"zz","future":[1,{"x":null}],"contentBlockIndex":0,"delta":{"extra":{"n":1},"text":"kept"}}"""),
            F.Event("someFutureEvent", """{"whatever":true}"""),
            F.Event("contentBlockStop", """{"contentBlockIndex":0}"""),
            F.Event("messageStop", """{"additionalModelResponseFields":{"delta":{"stop_sequence":null}},"stopReason":"max_tokens","p":"ab"}"""),
            F.Event("metadata", """{"metrics":{"latencyMs":7},"usage":{"inputTokens":1,"outputTokens":2,"serverToolUsage":{},"totalTokens":3},"trace":{"guardrail":{}},"p":"x"}"""));

        var (deltas, stop, meta) = await Run([body]);
        Assert.Equal(["kept"], deltas);
        Assert.Equal("max_tokens", stop);
        Assert.Equal(new TokenUsage(1, 2), meta?.Usage);
        Assert.Equal(7, meta?.LatencyMs);
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
        var received = new List<string>();

        var ex = await Assert.ThrowsAsync<ModelException>(async () =>
        {
            await foreach (ModelEvent e in Models.Over(new PiecewiseHandler([body])).StreamAsync(Models.Hi()))
            {
                received.Add(Encoding.UTF8.GetString(e.Text.Span));
            }
        });

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
        var received = new List<string>();

        var ex = await Assert.ThrowsAsync<ModelException>(async () =>
        {
            await foreach (ModelEvent e in Models.Over(new PiecewiseHandler([Bytes.Concat(MessageStart, F.TextDelta("good"), bad, F.MessageStop())])).StreamAsync(Models.Hi()))
            {
                received.Add(Encoding.UTF8.GetString(e.Text.Span));
            }
        });

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
        var received = new List<string>();
        var ex = await Assert.ThrowsAsync<ModelException>(async () =>
        {
            await foreach (ModelEvent e in Models.Over(new PiecewiseHandler([Bytes.Concat(MessageStart, F.TextDelta("half an ans"))])).StreamAsync(Models.Hi()))
            {
                received.Add(Encoding.UTF8.GetString(e.Text.Span));
            }
        });

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
        var (deltas, stop, meta) = await Run([Bytes.Concat(MessageStart, F.TextDelta("ok"), F.MessageStop("stop_sequence"))]);
        Assert.Equal(["ok"], deltas);
        Assert.Equal("stop_sequence", stop);
        Assert.Null(meta);
    }

    [Fact]
    public async Task Response_body_is_disposed_when_the_consumer_stops_early()
    {
        var handler = new PiecewiseHandler([FullAnswer("a", "b", "c")]);
        await foreach (ModelEvent e in Models.Over(handler).StreamAsync(Models.Hi()))
        {
            break;
        }

        Assert.True(handler.Body!.Disposed);
    }
}
