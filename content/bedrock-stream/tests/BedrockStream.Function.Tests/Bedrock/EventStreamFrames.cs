using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace BedrockStream.Function.Tests.Bedrock;

/// <summary>
/// ConverseStream event-stream frames from literal JSON, for the Bedrock client's tests; the
/// encoding itself is the local host's (<see cref="Local.EventStreamFrames.Frame"/>, AWSSDK.Core's encoder).
/// </summary>
public static class EventStreamFrames
{
    /// <summary>An event frame, e.g. <c>Event("contentBlockDelta", """{"contentBlockIndex":0,"delta":{"text":"Hi"}}""")</c>.</summary>
    public static byte[] Event(string eventType, string json) =>
        Frame(json, (":event-type", eventType), (":content-type", "application/json"), (":message-type", "event"));

    /// <summary>An exception frame, e.g. <c>Exception("throttlingException", """{"message":"Too many requests"}""")</c>.</summary>
    public static byte[] Exception(string exceptionType, string json) =>
        Frame(json, (":exception-type", exceptionType), (":content-type", "application/json"), (":message-type", "exception"));

    /// <summary>A text delta; <paramref name="text"/> is JSON-escaped here.</summary>
    public static byte[] TextDelta(string text, int contentBlockIndex = 0) =>
        Event("contentBlockDelta", $$"""{"contentBlockIndex":{{contentBlockIndex}},"delta":{"text":{{Quote(text)}}},"p":"abcdefgh"}""");

    /// <summary>The end of the answer (<c>end_turn</c>, <c>max_tokens</c>, …).</summary>
    public static byte[] MessageStop(string stopReason = "end_turn") =>
        Event("messageStop", $$"""{"p":"ab","stopReason":{{Quote(stopReason)}}}""");

    /// <summary>Usage and latency; Bedrock sends it after messageStop.</summary>
    public static byte[] Metadata(int inputTokens, int outputTokens, long latencyMs) =>
        Event("metadata", $$"""{"metrics":{"latencyMs":{{latencyMs}}},"usage":{"inputTokens":{{inputTokens}},"outputTokens":{{outputTokens}},"totalTokens":{{inputTokens + outputTokens}}},"p":"abc"}""");

    /// <summary>A frame with the given string headers and a UTF-8 payload.</summary>
    public static byte[] Frame(string payload, params (string Name, string Value)[] headers) =>
        Local.EventStreamFrames.Frame(Encoding.UTF8.GetBytes(payload), headers);

    private static string Quote(string value) =>
        $"\"{JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping)}\"";
}
