using System.Globalization;
using System.Text;
using System.Text.Json;

namespace BedrockStream.Function.Runtime;

/// <summary>What a <c>contentBlockDelta</c> carries (one member of the <c>ContentBlockDelta</c> union).</summary>
internal enum DeltaKind
{
    /// <summary>A delta this client does not map (citation, toolResult, image, or a member added later).</summary>
    Other,
    Text,
    ToolInput,
    ReasoningText,
    ReasoningSignature,
    ReasoningRedacted,
}

/// <summary>One parsed <c>contentBlockDelta</c>: the block it belongs to and its one member.</summary>
internal readonly record struct ContentDelta(int Index, DeltaKind Kind, string? Text = null, byte[]? Redacted = null);

/// <summary>The usage and latency of a <c>metadata</c> event (the cache counts only when Bedrock sent them).</summary>
internal readonly record struct ConverseUsage(int InputTokens, int OutputTokens, int TotalTokens, int? CacheReadInputTokens, int? CacheWriteInputTokens, long LatencyMs);

/// <summary>
/// Reads the JSON payloads of ConverseStream events with <see cref="Utf8JsonReader"/>: no reflection, unknown fields
/// (such as the random <c>"p"</c> padding Bedrock adds to every event) skipped. Field names are those of the
/// ConverseStream API reference: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
/// </summary>
internal static class ConverseEventParser
{
    /// <summary>
    /// Reads a <c>contentBlockDelta</c>: <c>{"contentBlockIndex":0,"delta":{"text":"…"}}</c>, or a delta with
    /// <c>toolUse.input</c> (a fragment of the tool's JSON input), or <c>reasoningContent</c> with one of
    /// <c>text</c>, <c>signature</c>, <c>redactedContent</c> (base64).
    /// </summary>
    public static ContentDelta ReadContentBlockDelta(ReadOnlySpan<byte> payload)
    {
        int index = 0;
        ContentDelta delta = new(0, DeltaKind.Other);
        var reader = new Utf8JsonReader(payload);
        ExpectStartObject(ref reader);
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("contentBlockIndex"u8))
            {
                index = ReadInt(ref reader);
            }
            else if (reader.ValueTextEquals("delta"u8) && EnterObject(ref reader))
            {
                delta = ReadDeltaUnion(ref reader);
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        return delta with { Index = index };
    }

    private static ContentDelta ReadDeltaUnion(ref Utf8JsonReader reader)
    {
        ContentDelta delta = new(0, DeltaKind.Other);
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("text"u8))
            {
                delta = new(0, DeltaKind.Text, ReadString(ref reader));
            }
            else if (reader.ValueTextEquals("toolUse"u8) && EnterObject(ref reader))
            {
                delta = new(0, DeltaKind.ToolInput, ReadMember(ref reader, "input"u8) ?? "");
            }
            else if (reader.ValueTextEquals("reasoningContent"u8) && EnterObject(ref reader))
            {
                delta = ReadReasoning(ref reader);
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        return delta;
    }

    private static ContentDelta ReadReasoning(ref Utf8JsonReader reader)
    {
        ContentDelta delta = new(0, DeltaKind.Other);
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("text"u8))
            {
                delta = new(0, DeltaKind.ReasoningText, ReadString(ref reader));
            }
            else if (reader.ValueTextEquals("signature"u8))
            {
                delta = new(0, DeltaKind.ReasoningSignature, ReadString(ref reader));
            }
            else if (reader.ValueTextEquals("redactedContent"u8))
            {
                reader.Read();
                delta = new(0, DeltaKind.ReasoningRedacted, Redacted: reader.GetBytesFromBase64());
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        return delta;
    }

    /// <summary>Reads a <c>contentBlockStart</c>: its index, and the tool's id and name when the block is a <c>toolUse</c>.</summary>
    public static (int Index, string? ToolUseId, string? ToolName) ReadContentBlockStart(ReadOnlySpan<byte> payload)
    {
        int index = 0;
        string? id = null, name = null;
        var reader = new Utf8JsonReader(payload);
        ExpectStartObject(ref reader);
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("contentBlockIndex"u8))
            {
                index = ReadInt(ref reader);
            }
            else if (reader.ValueTextEquals("start"u8) && EnterObject(ref reader))
            {
                while (NextProperty(ref reader))
                {
                    if (reader.ValueTextEquals("toolUse"u8) && EnterObject(ref reader))
                    {
                        while (NextProperty(ref reader))
                        {
                            if (reader.ValueTextEquals("toolUseId"u8)) id = ReadString(ref reader);
                            else if (reader.ValueTextEquals("name"u8)) name = ReadString(ref reader);
                            else SkipValue(ref reader);
                        }
                    }
                    else
                    {
                        SkipValue(ref reader);
                    }
                }
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        return (index, id, name);
    }

    /// <summary>Reads <c>contentBlockIndex</c> of a <c>contentBlockStop</c>.</summary>
    public static int ReadContentBlockIndex(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        ExpectStartObject(ref reader);
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("contentBlockIndex"u8))
            {
                return ReadInt(ref reader);
            }

            SkipValue(ref reader);
        }

        return 0;
    }

    /// <summary>Reads <c>stopReason</c> of a <c>messageStop</c>, and its <c>additionalModelResponseFields</c> when present.</summary>
    public static (string StopReason, JsonElement? AdditionalFields) ReadMessageStop(ReadOnlySpan<byte> payload)
    {
        string stopReason = string.Empty;
        JsonElement? fields = null;
        var reader = new Utf8JsonReader(payload);
        ExpectStartObject(ref reader);
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("stopReason"u8))
            {
                stopReason = ReadString(ref reader) ?? string.Empty;
            }
            else if (reader.ValueTextEquals("additionalModelResponseFields"u8))
            {
                reader.Read();
                fields = reader.TokenType == JsonTokenType.StartObject ? JsonElement.ParseValue(ref reader) : SkipCurrent(ref reader);
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        // stopReason is required by the service model; an empty reason is still a completed message.
        return (stopReason, fields);
    }

    /// <summary>Reads <c>usage</c> (with the prompt-cache counts when present) and <c>metrics.latencyMs</c> of a <c>metadata</c> event.</summary>
    public static ConverseUsage ReadMetadata(ReadOnlySpan<byte> payload)
    {
        int input = 0, output = 0, total = 0;
        int? cacheRead = null, cacheWrite = null;
        long latency = 0;
        var reader = new Utf8JsonReader(payload);
        ExpectStartObject(ref reader);
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("usage"u8) && EnterObject(ref reader))
            {
                while (NextProperty(ref reader))
                {
                    if (reader.ValueTextEquals("inputTokens"u8)) input = ReadInt(ref reader);
                    else if (reader.ValueTextEquals("outputTokens"u8)) output = ReadInt(ref reader);
                    else if (reader.ValueTextEquals("totalTokens"u8)) total = ReadInt(ref reader);
                    else if (reader.ValueTextEquals("cacheReadInputTokens"u8)) cacheRead = ReadInt(ref reader);
                    else if (reader.ValueTextEquals("cacheWriteInputTokens"u8)) cacheWrite = ReadInt(ref reader);
                    else SkipValue(ref reader);
                }
            }
            else if (reader.ValueTextEquals("metrics"u8) && EnterObject(ref reader))
            {
                while (NextProperty(ref reader))
                {
                    if (reader.ValueTextEquals("latencyMs"u8)) { reader.Read(); latency = reader.GetInt64(); }
                    else SkipValue(ref reader);
                }
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        return new ConverseUsage(input, output, total == 0 ? input + output : total, cacheRead, cacheWrite, latency);
    }

    /// <summary>
    /// Reads the human-readable message of an error body or exception payload: <c>message</c> or <c>Message</c>;
    /// for <c>modelStreamErrorException</c> the model's own <c>originalMessage</c>/<c>originalStatusCode</c> are
    /// appended because the outer message ("Model Stream Error") says little. Also returns <c>__type</c>/<c>code</c>
    /// when present. Never throws: a body that is not JSON is returned as text.
    /// </summary>
    public static (string? Message, string? Code) ReadErrorMessage(ReadOnlySpan<byte> payload)
    {
        string? message = null, code = null, originalMessage = null;
        int? originalStatus = null;
        try
        {
            var reader = new Utf8JsonReader(payload);
            ExpectStartObject(ref reader);
            while (NextProperty(ref reader))
            {
                if (reader.ValueTextEquals("message"u8) || reader.ValueTextEquals("Message"u8)) { message = ReadStringOrSkip(ref reader); }
                else if (reader.ValueTextEquals("originalMessage"u8)) { originalMessage = ReadStringOrSkip(ref reader); }
                else if (reader.ValueTextEquals("__type"u8) || reader.ValueTextEquals("code"u8)) { code = ReadStringOrSkip(ref reader); }
                else if (reader.ValueTextEquals("originalStatusCode"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int s)) { originalStatus = s; }
                    else { reader.Skip(); }
                }
                else { SkipValue(ref reader); }
            }
        }
        catch (JsonException)
        {
            string text = Encoding.UTF8.GetString(payload).Trim();
            return (text.Length == 0 ? null : text, null);
        }

        if (originalMessage is not null || originalStatus is not null)
        {
            message = $"{message ?? "Model stream error"} (model status {originalStatus?.ToString(CultureInfo.InvariantCulture) ?? "?"}: {originalMessage})";
        }

        return (message, code);
    }

    // Positioned on a property name: reads a member of the object that is its value, skipping the others.
    private static string? ReadMember(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        string? value = null;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals(name)) value = ReadString(ref reader);
            else SkipValue(ref reader);
        }

        return value;
    }

    private static string? ReadString(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Null => null,
            _ => throw new JsonException($"Expected a string, got {reader.TokenType}."),
        };
    }

    private static string? ReadStringOrSkip(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        reader.Skip();
        return null;
    }

    private static int ReadInt(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.GetInt32();
    }

    private static JsonElement? SkipCurrent(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return null;
    }

    private static void ExpectStartObject(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("Expected a JSON object.");
        }
    }

    // Advances to the next property name of the current object; false at its end.
    private static bool NextProperty(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("Unexpected end of JSON.");
        }

        return reader.TokenType switch
        {
            JsonTokenType.PropertyName => true,
            JsonTokenType.EndObject => false,
            _ => throw new JsonException("Expected a property name."),
        };
    }

    // Positioned on a property name: moves onto its value; true when it is an object, else skips it (e.g. null).
    private static bool EnterObject(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            return true;
        }

        reader.Skip();
        return false;
    }

    // Positioned on a property name: skips its value (scalars, objects and arrays alike).
    private static void SkipValue(ref Utf8JsonReader reader)
    {
        reader.Read();
        reader.Skip();
    }
}
