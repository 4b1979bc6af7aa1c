using System.Text;
using System.Text.Json;
using Amazon.Runtime.EventStreams;

namespace BedrockStream.Benchmark;

/// <summary>
/// ConverseStream event-stream frames (bedrock.md §1.4, §2), encoded by AWSSDK.Core so CRCs and headers are the
/// real thing, each wrapped as one HTTP/1.1 chunk ready to send: the fake model does no work per token but one send.
/// </summary>
internal static class ModelFrames
{
    public static readonly byte[] MessageStart = Chunk(Event("messageStart", w => w.WriteString("role", "assistant")));
    public static readonly byte[] ContentBlockStop = Chunk(Event("contentBlockStop", w => w.WriteNumber("contentBlockIndex", 0)));
    public static readonly byte[] MessageStop = Chunk(Event("messageStop", w => w.WriteString("stopReason", "end_turn")));
    public static readonly byte[] LastChunk = "0\r\n\r\n"u8.ToArray();

    /// <summary>A contentBlockDelta whose text is <paramref name="textBytes"/> ASCII bytes (a short word, or 64 KB for throughput).</summary>
    public static byte[] Delta(int textBytes)
    {
        var text = textBytes <= 4 ? " tok"[..Math.Max(1, textBytes)] : " " + new string('x', textBytes - 1);
        return Chunk(Event("contentBlockDelta", w =>
        {
            w.WriteNumber("contentBlockIndex", 0);
            w.WriteStartObject("delta");
            w.WriteString("text", text);
            w.WriteEndObject();
        }));
    }

    public static byte[] Metadata(int outputTokens) => Chunk(Event("metadata", w =>
    {
        w.WriteStartObject("metrics");
        w.WriteNumber("latencyMs", 1);
        w.WriteEndObject();
        w.WriteStartObject("usage");
        w.WriteNumber("inputTokens", 1);
        w.WriteNumber("outputTokens", outputTokens);
        w.WriteNumber("totalTokens", outputTokens + 1);
        w.WriteEndObject();
    }));

    private static byte[] Event(string eventType, Action<Utf8JsonWriter> fields)
    {
        using var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            fields(w);
            w.WriteEndObject();
        }
        var headers = new List<IEventStreamHeader>();
        foreach (var (name, value) in new[] { (":event-type", eventType), (":content-type", "application/json"), (":message-type", "event") })
        {
            var header = new EventStreamHeader(name);
            header.SetString(value);
            headers.Add(header);
        }
        return new EventStreamMessage(headers, json.ToArray()).ToByteArray();
    }

    private static byte[] Chunk(byte[] data)
    {
        var size = Encoding.ASCII.GetBytes($"{data.Length:x}\r\n");
        return [.. size, .. data, .. "\r\n"u8];
    }
}
