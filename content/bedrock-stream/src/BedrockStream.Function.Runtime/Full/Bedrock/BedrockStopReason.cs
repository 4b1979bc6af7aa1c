using Amazon.BedrockRuntime;
using Amazon.BedrockRuntime.Model;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Runtime;

/// <summary>Bedrock's own stop reason, which <see cref="ChatFinishReason"/> normalises away.</summary>
public static class BedrockStopReason
{
    /// <summary>
    /// The raw <c>stopReason</c> (<c>end_turn</c>, <c>max_tokens</c>, <c>tool_use</c>, <c>guardrail_intervened</c>, …)
    /// when <paramref name="update"/> came from a <c>messageStop</c> event (AWS.Bedrock.MEAI keeps the SDK's event as
    /// the update's raw representation), else null.
    /// </summary>
    public static string? Of(ChatResponseUpdate update) =>
        update.RawRepresentation is MessageStopEvent stop ? stop.StopReason?.Value ?? string.Empty : null;

    /// <summary>The update AWS.Bedrock.MEAI makes of a <c>messageStop</c> event with <paramref name="stopReason"/> (for tests of code that reads it).</summary>
    internal static ChatResponseUpdate MessageStop(string stopReason) => new(ChatRole.Assistant, [])
    {
        // Its finish reasons for Bedrock's stop reasons; others keep their raw value.
        FinishReason = stopReason switch
        {
            "end_turn" or "stop_sequence" => ChatFinishReason.Stop,
            "max_tokens" => ChatFinishReason.Length,
            "tool_use" => ChatFinishReason.ToolCalls,
            "guardrail_intervened" or "content_filtered" => ChatFinishReason.ContentFilter,
            _ => new ChatFinishReason(stopReason),
        },
        RawRepresentation = new MessageStopEvent { StopReason = new StopReason(stopReason) },
    };
}
