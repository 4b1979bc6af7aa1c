using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Runtime;

/// <summary>Bedrock's own stop reason, which <see cref="ChatFinishReason"/> normalises away.</summary>
public static class BedrockStopReason
{
    /// <summary>
    /// The raw <c>stopReason</c> (<c>end_turn</c>, <c>max_tokens</c>, <c>tool_use</c>, <c>guardrail_intervened</c>, …)
    /// when <paramref name="update"/> came from a <c>messageStop</c> event, else null.
    /// </summary>
    public static string? Of(ChatResponseUpdate update) =>
        update.RawRepresentation is ConverseStreamEvent { EventType: "messageStop" } stop
            ? ConverseEventParser.ReadMessageStop(stop.Payload.Span).StopReason
            : null;

    /// <summary>The update this client makes of a <c>messageStop</c> event with <paramref name="stopReason"/> (for tests of code that reads it).</summary>
    internal static ChatResponseUpdate MessageStop(string stopReason)
    {
        var payload = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(payload))
        {
            json.WriteStartObject();
            json.WriteString("stopReason"u8, stopReason);
            json.WriteEndObject();
        }

        return new ChatResponseUpdate(ChatRole.Assistant, [])
        {
            FinishReason = ConverseUpdateTranslator.FinishReason(stopReason),
            RawRepresentation = new ConverseStreamEvent("messageStop", payload.WrittenMemory),
        };
    }
}
