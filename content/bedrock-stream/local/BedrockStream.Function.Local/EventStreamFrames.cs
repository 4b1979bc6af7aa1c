using System.Text.Encodings.Web;
using System.Text.Json;
using Amazon.Runtime.EventStreams;

namespace BedrockStream.Function.Local;

/// <summary>
/// ConverseStream frames in the AWS event-stream binary format (https://docs.aws.amazon.com/transcribe/latest/dg/event-stream.html),
/// built by AWSSDK.Core's own encoder so the CRCs and header encoding are the real thing. Payloads are the events of
/// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html, including the random
/// <c>"p"</c> padding field real Bedrock adds to every event.
/// </summary>
public static class EventStreamFrames
{
    private static readonly JsonWriterOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] MessageStart() => Event("messageStart", w => w.WriteString("role", "assistant"));

    public static byte[] ContentBlockDelta(string text, int index = 0) => Delta(index, w => w.WriteString("text", text));

    public static byte[] ReasoningDelta(string text, int index = 0) => Delta(index, w =>
    {
        w.WriteStartObject("reasoningContent");
        w.WriteString("text", text);
        w.WriteEndObject();
    });

    public static byte[] ReasoningSignature(string signature, int index = 0) => Delta(index, w =>
    {
        w.WriteStartObject("reasoningContent");
        w.WriteString("signature", signature);
        w.WriteEndObject();
    });

    public static byte[] RedactedReasoning(byte[] encrypted, int index = 0) => Delta(index, w =>
    {
        w.WriteStartObject("reasoningContent");
        w.WriteBase64String("redactedContent", encrypted);
        w.WriteEndObject();
    });

    public static byte[] ToolUseStart(string toolUseId, string name, int index) => Event("contentBlockStart", w =>
    {
        w.WriteNumber("contentBlockIndex", index);
        w.WriteStartObject("start");
        w.WriteStartObject("toolUse");
        w.WriteString("toolUseId", toolUseId);
        w.WriteString("name", name);
        w.WriteEndObject();
        w.WriteEndObject();
    });

    /// <summary>A fragment of a tool's JSON input: the fragments of one block concatenate to the whole input.</summary>
    public static byte[] ToolInputDelta(string fragment, int index) => Delta(index, w =>
    {
        w.WriteStartObject("toolUse");
        w.WriteString("input", fragment);
        w.WriteEndObject();
    });

    public static byte[] ContentBlockStop(int index = 0) => Event("contentBlockStop", w => w.WriteNumber("contentBlockIndex", index));

    private static byte[] Delta(int index, Action<Utf8JsonWriter> delta) => Event("contentBlockDelta", w =>
    {
        w.WriteNumber("contentBlockIndex", index);
        w.WriteStartObject("delta");
        delta(w);
        w.WriteEndObject();
    });

    public static byte[] MessageStop(string stopReason) => Event("messageStop", w => w.WriteString("stopReason", stopReason));

    /// <summary>Usage and latency; the cache counts only when the request used prompt caching, as Bedrock does.</summary>
    public static byte[] Metadata(int inputTokens, int outputTokens, long latencyMs, int? cacheReadInputTokens = null, int? cacheWriteInputTokens = null) => Event("metadata", w =>
    {
        w.WriteStartObject("metrics");
        w.WriteNumber("latencyMs", latencyMs);
        w.WriteEndObject();
        w.WriteStartObject("usage");
        w.WriteNumber("inputTokens", inputTokens);
        w.WriteNumber("outputTokens", outputTokens);
        w.WriteNumber("totalTokens", inputTokens + outputTokens + (cacheReadInputTokens ?? 0) + (cacheWriteInputTokens ?? 0));
        if (cacheReadInputTokens is { } read) w.WriteNumber("cacheReadInputTokens", read);
        if (cacheWriteInputTokens is { } write) w.WriteNumber("cacheWriteInputTokens", write);
        w.WriteEndObject();
    });

    /// <summary>An exception frame after HTTP 200: <c>:message-type exception</c>, <c>:exception-type</c>, payload <c>{"message"}</c>.</summary>
    public static byte[] Exception(string exceptionType, string message, int? originalStatusCode = null)
    {
        var payload = JsonPayload(w =>
        {
            w.WriteString("message", message);
            if (originalStatusCode is { } code)
            {
                w.WriteNumber("originalStatusCode", code);
                w.WriteString("originalMessage", "The model stream failed.");
            }
        }, padding: false);
        return Frame(payload, (":exception-type", exceptionType), (":content-type", "application/json"), (":message-type", "exception"));
    }

    /// <summary>The frame with its last byte (part of the message CRC) flipped.</summary>
    public static byte[] WithBadCrc(byte[] frame)
    {
        var copy = (byte[])frame.Clone();
        copy[^1] ^= 0xFF;
        return copy;
    }

    private static byte[] Event(string eventType, Action<Utf8JsonWriter> fields) =>
        Frame(JsonPayload(fields, padding: true), (":event-type", eventType), (":content-type", "application/json"), (":message-type", "event"));

    private static byte[] JsonPayload(Action<Utf8JsonWriter> fields, bool padding)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, Json))
        {
            w.WriteStartObject();
            fields(w);
            if (padding) w.WriteString("p", Padding());
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    /// <summary>A frame with the given string headers (type 7, the only kind Bedrock sends) and payload.</summary>
    public static byte[] Frame(byte[] payload, params (string Name, string Value)[] headers)
    {
        var list = new List<IEventStreamHeader>(headers.Length);
        foreach (var (name, value) in headers)
        {
            var header = new EventStreamHeader(name);
            header.SetString(value);
            list.Add(header);
        }
        return new EventStreamMessage(list, payload).ToByteArray();
    }

    /// <summary>Random-length letters: the padding Bedrock adds to every event against length side channels.</summary>
    private static string Padding()
    {
        const string letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        var chars = new char[Random.Shared.Next(1, 40)];
        for (var i = 0; i < chars.Length; i++) chars[i] = letters[Random.Shared.Next(letters.Length)];
        return new string(chars);
    }
}
