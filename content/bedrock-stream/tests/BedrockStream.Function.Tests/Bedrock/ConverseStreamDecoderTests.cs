using System.Text;
using BedrockStream.Function.Runtime;
using F = BedrockStream.Function.Tests.Bedrock.EventStreamFrames;

namespace BedrockStream.Function.Tests.Bedrock;

/// <summary>The I/O-free frame decoder on its own: bytes in, events (type + JSON payload) or exceptions out.</summary>
public class ConverseStreamDecoderTests
{
    [Fact]
    public void An_event_is_available_as_soon_as_its_last_byte_is_fed_and_not_before()
    {
        byte[] frame = F.TextDelta("hé");
        using var decoder = new ConverseStreamDecoder();
        for (int i = 0; i < frame.Length - 1; i++)
        {
            decoder.Feed([frame[i]], 1);
            Assert.False(decoder.TryRead(out _));
        }

        decoder.Feed([frame[^1]], 1);
        Assert.True(decoder.TryRead(out ConverseStreamEvent e));
        Assert.Equal("contentBlockDelta", e.EventType);
        Assert.Contains("\"text\":\"hé\"", Encoding.UTF8.GetString(e.Payload.Span));
        Assert.False(decoder.TryRead(out _));
    }

    [Fact]
    public void Only_count_bytes_from_the_start_of_the_buffer_are_used()
    {
        // AWSSDK.Core's ProcessData takes an end index as its third argument; feeding (buffer, n) must mean "the first n bytes".
        byte[] frame = F.TextDelta("abc");
        byte[] buffer = new byte[frame.Length + 64];
        frame.CopyTo(buffer, 0);
        Array.Fill(buffer, (byte)0xFF, frame.Length, 64);

        using var decoder = new ConverseStreamDecoder();
        decoder.Feed(buffer, frame.Length);
        Assert.True(decoder.TryRead(out ConverseStreamEvent e));
        Assert.Contains("\"text\":\"abc\"", Encoding.UTF8.GetString(e.Payload.Span));

        // The 0xFF garbage was not consumed: the next frame decodes cleanly.
        byte[] stop = F.MessageStop();
        stop.CopyTo(buffer, 0);
        decoder.Feed(buffer, stop.Length);
        Assert.True(decoder.TryRead(out ConverseStreamEvent s));
        Assert.Equal("messageStop", s.EventType);
    }

    [Fact]
    public void Several_frames_in_one_read_come_out_one_by_one()
    {
        byte[] data = Bytes.Concat(F.TextDelta("a"), F.TextDelta("bb"), F.MessageStop("end_turn"), F.Metadata(1, 2, 3));
        using var decoder = new ConverseStreamDecoder();
        decoder.Feed(data, data.Length);

        var events = new List<ConverseStreamEvent>();
        while (decoder.TryRead(out ConverseStreamEvent e))
            events.Add(e);

        Assert.Equal(["contentBlockDelta", "contentBlockDelta", "messageStop", "metadata"], events.Select(e => e.EventType));
        Assert.Contains("\"text\":\"bb\"", Encoding.UTF8.GetString(events[1].Payload.Span));
        decoder.Complete();
    }

    [Fact]
    public void A_payload_stays_valid_after_later_frames_are_decoded()
    {
        // The update's RawRepresentation keeps its event: later frames must not overwrite it.
        byte[] data = Bytes.Concat(F.TextDelta("first"), F.TextDelta("second"));
        using var decoder = new ConverseStreamDecoder();
        decoder.Feed(data, data.Length);
        Assert.True(decoder.TryRead(out ConverseStreamEvent first));
        Assert.True(decoder.TryRead(out _));
        Assert.Contains("\"text\":\"first\"", Encoding.UTF8.GetString(first.Payload.Span));
    }

    [Fact]
    public void Frame_without_message_type_is_malformed()
    {
        byte[] frame = F.Frame("{}", (":event-type", "contentBlockDelta"));
        using var decoder = new ConverseStreamDecoder();
        decoder.Feed(frame, frame.Length);
        Assert.Equal(ModelErrorCodes.MalformedStream, Assert.Throws<ModelException>(() => decoder.TryRead(out _)).ErrorCode);
    }

    [Fact]
    public void Exception_frame_with_capital_Message_field_is_read()
    {
        byte[] frame = F.Exception("throttlingException", """{"Message":"Slow down"}""");
        using var decoder = new ConverseStreamDecoder();
        decoder.Feed(frame, frame.Length);
        ModelException ex = Assert.Throws<ModelException>(() => decoder.TryRead(out _));
        Assert.Equal("ThrottlingException", ex.ErrorCode);
        Assert.Equal("Slow down", ex.Message);
    }

    [Fact]
    public void Frames_match_the_reference_vector_layout()
    {
        // A reference frame checked against botocore's decoder: the synthetic messageStart frame with these headers is 0x88 bytes, headers 0x52, prelude CRC 61d114e2.
        byte[] frame = F.Frame("""{"p":"abcdefghijk","role":"assistant"}""", (":event-type", "messageStart"), (":content-type", "application/json"), (":message-type", "event"));
        Assert.Equal("000000880000005261D114E2", Convert.ToHexString(frame, 0, 12));
        Assert.Equal("B7F56AC9", Convert.ToHexString(frame, frame.Length - 4, 4));
    }
}
