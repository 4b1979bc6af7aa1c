using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// Maps the events of one ConverseStream response to Microsoft.Extensions.AI updates, the way AWS.Bedrock.MEAI
/// maps the SDK's events (https://github.com/aws/aws-dotnet-ai, <c>BedrockChatClient</c>), so that code written
/// against one behaves the same with the other:
/// <list type="bullet">
/// <item><c>messageStart</c> → an update with the assistant role and nothing else;</item>
/// <item><c>text</c> deltas → <see cref="TextContent"/>;</item>
/// <item><c>reasoningContent</c> deltas → <see cref="TextReasoningContent"/>: text, the signature in
/// <see cref="TextReasoningContent.ProtectedData"/>, encrypted reasoning as bytes in its
/// <c>AdditionalProperties["RedactedContent"]</c>;</item>
/// <item><c>toolUse</c> input fragments → assembled until <c>contentBlockStop</c>, then one <see cref="FunctionCallContent"/>
/// (with <see cref="FunctionCallContent.Exception"/> set when the JSON does not parse);</item>
/// <item><c>messageStop</c> → <see cref="ChatResponseUpdate.FinishReason"/>, with <c>additionalModelResponseFields</c>
/// in <see cref="ChatResponseUpdate.AdditionalProperties"/>;</item>
/// <item><c>metadata</c> → <see cref="UsageContent"/>: cache reads as <see cref="UsageDetails.CachedInputTokenCount"/>,
/// cache writes as <c>AdditionalCounts["CacheWriteInputTokens"]</c>.</item>
/// </list>
/// Every update's <see cref="ChatResponseUpdate.RawRepresentation"/> is its <see cref="ConverseStreamEvent"/>.
/// </summary>
internal sealed class ConverseUpdateTranslator(TimeProvider time)
{
    private readonly string _messageId = Guid.NewGuid().ToString("N");
    private readonly string _responseId = Guid.NewGuid().ToString("N");
    private ChatFinishReason? _finishReason;
    private int _toolIndex = -1;
    private string? _toolId;
    private string? _toolName;
    private StringBuilder? _toolInput;

    /// <summary>True once <c>messageStop</c> arrived: the answer is complete (usage may still follow).</summary>
    public bool MessageStopped { get; private set; }

    /// <summary>The update for <paramref name="streamEvent"/>, or null when the event carries nothing to hand out yet.</summary>
    /// <exception cref="ModelException">The event's JSON is not what the ConverseStream API documents.</exception>
    public ChatResponseUpdate? Translate(ConverseStreamEvent streamEvent)
    {
        try
        {
            return TranslateEvent(streamEvent);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new ModelException(ModelErrorCodes.MalformedStream, $"Bedrock sent an unreadable '{streamEvent.EventType}' event: {e.Message}", inner: e);
        }
    }

    /// <summary>Call when the body ended.</summary>
    /// <exception cref="ModelException"><see cref="ModelErrorCodes.StreamTruncated"/> when no <c>messageStop</c> arrived.</exception>
    public void Complete()
    {
        if (!MessageStopped)
        {
            throw new ModelException(ModelErrorCodes.StreamTruncated, "The Bedrock stream ended before messageStop; the answer is incomplete.");
        }
    }

    private ChatResponseUpdate? TranslateEvent(ConverseStreamEvent streamEvent)
    {
        ReadOnlySpan<byte> payload = streamEvent.Payload.Span;
        switch (streamEvent.EventType)
        {
            case "messageStart":
                return Update(streamEvent, []);

            case "contentBlockStart":
                (int index, string? id, string? name) = ConverseEventParser.ReadContentBlockStart(payload);
                if (id is not null && name is not null)
                {
                    (_toolIndex, _toolId, _toolName, _toolInput) = (index, id, name, null);
                }

                return null;

            case "contentBlockDelta":
                return FromDelta(streamEvent, ConverseEventParser.ReadContentBlockDelta(payload));

            case "contentBlockStop":
                return ConverseEventParser.ReadContentBlockIndex(payload) == _toolIndex ? EndToolUse(streamEvent) : null;

            case "messageStop":
                (string stopReason, JsonElement? fields) = ConverseEventParser.ReadMessageStop(payload);
                MessageStopped = true;
                _finishReason ??= stopReason.Length == 0 ? null : FinishReason(stopReason);
                ChatResponseUpdate stop = Update(streamEvent, []);
                stop.AdditionalProperties = ToProperties(fields);
                return stop;

            case "metadata":
                return Update(streamEvent, [new UsageContent(ToUsage(ConverseEventParser.ReadMetadata(payload)))]);

            default:
                return null; // event types added to the API later
        }
    }

    private ChatResponseUpdate? FromDelta(ConverseStreamEvent streamEvent, ContentDelta delta)
    {
        switch (delta.Kind)
        {
            case DeltaKind.Text:
                return Update(streamEvent, [new TextContent(delta.Text)]);
            case DeltaKind.ReasoningText:
                return Update(streamEvent, [new TextReasoningContent(delta.Text)]);
            case DeltaKind.ReasoningSignature:
                return Update(streamEvent, [new TextReasoningContent(null) { ProtectedData = delta.Text }]);
            case DeltaKind.ReasoningRedacted:
                var redacted = new TextReasoningContent(null) { AdditionalProperties = new() { [BedrockKeys.RedactedContent] = delta.Redacted } };
                return Update(streamEvent, [redacted]);
            case DeltaKind.ToolInput when delta.Index == _toolIndex:
                (_toolInput ??= new StringBuilder()).Append(delta.Text);
                return null;
            default:
                return null; // citations, tool results, images: not mapped
        }
    }

    private ChatResponseUpdate EndToolUse(ConverseStreamEvent streamEvent)
    {
        var call = new FunctionCallContent(_toolId!, _toolName!, ParseArguments(_toolInput?.ToString(), out Exception? error)) { Exception = error };
        (_toolIndex, _toolId, _toolName, _toolInput) = (-1, null, null, null);
        return Update(streamEvent, [call]);
    }

    private ChatResponseUpdate Update(ConverseStreamEvent streamEvent, IList<AIContent> contents) => new(ChatRole.Assistant, contents)
    {
        CreatedAt = time.GetUtcNow(),
        MessageId = _messageId,
        ResponseId = _responseId,
        FinishReason = _finishReason,
        RawRepresentation = streamEvent,
    };

    /// <summary>
    /// The assembled tool input as arguments (values are <see cref="JsonElement"/>s); no input → null. Unparsable
    /// input is reported through the exception, whose message never quotes the input: the model's arguments can
    /// carry conversation data, and exception messages end up in logs.
    /// </summary>
    private static IDictionary<string, object?>? ParseArguments(string? json, out Exception? error)
    {
        error = null;
        if (json is null)
        {
            return null;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return ToProperties(document.RootElement);
            }

            error = new InvalidOperationException("Unable to parse tool input: it is not a JSON object.");
        }
        catch (JsonException e)
        {
            error = new InvalidOperationException("Unable to parse tool input.", e);
        }

        return null;
    }

    private static AdditionalPropertiesDictionary? ToProperties(JsonElement? element)
    {
        if (element is not { ValueKind: JsonValueKind.Object } value)
        {
            return null;
        }

        var properties = new AdditionalPropertiesDictionary();
        foreach (JsonProperty property in value.EnumerateObject())
        {
            properties[property.Name] = property.Value.Clone();
        }

        return properties;
    }

    private static UsageDetails ToUsage(ConverseUsage usage)
    {
        var details = new UsageDetails
        {
            InputTokenCount = usage.InputTokens,
            OutputTokenCount = usage.OutputTokens,
            TotalTokenCount = usage.TotalTokens,
            CachedInputTokenCount = usage.CacheReadInputTokens,
        };
        if (usage.CacheWriteInputTokens is int written)
        {
            details.AdditionalCounts = new() { [BedrockKeys.CacheWriteInputTokens] = written };
        }

        return details;
    }

    /// <summary>Bedrock's stop reasons as MEAI finish reasons, as AWS.Bedrock.MEAI maps them; others keep their raw value.</summary>
    internal static ChatFinishReason FinishReason(string stopReason) => stopReason switch
    {
        "end_turn" or "stop_sequence" => ChatFinishReason.Stop,
        "max_tokens" => ChatFinishReason.Length,
        "tool_use" => ChatFinishReason.ToolCalls,
        "content_filtered" or "guardrail_intervened" => ChatFinishReason.ContentFilter,
        _ => new ChatFinishReason(stopReason),
    };
}
