using System.Buffers;
using System.Text;
using System.Text.Json;

namespace BedrockStream.Function.Bedrock;

/// <summary>
/// Reads the JSON payloads of ConverseStream event frames (bedrock.md §1.4) with <see cref="Utf8JsonReader"/>:
/// no reflection, unknown fields (such as the <c>"p"</c> padding) skipped.
/// </summary>
public static class ConverseEventParser
{
    /// <summary>
    /// Unescapes <c>delta.text</c> of a <c>contentBlockDelta</c> payload into <paramref name="buffer"/>
    /// (grown from <paramref name="pool"/> when too small) and returns its UTF-8 length,
    /// or -1 when the delta carries no text (toolUse, reasoningContent, citation …).
    /// </summary>
    public static int ReadTextDelta(ReadOnlySpan<byte> payload, ref byte[] buffer, ArrayPool<byte> pool)
    {
        var reader = new Utf8JsonReader(payload);
        ExpectStartObject(ref reader);
        while (NextProperty(ref reader))
        {
            if (!reader.ValueTextEquals("delta"u8))
            {
                SkipValue(ref reader);
                continue;
            }

            if (!EnterObject(ref reader))
            {
                continue;
            }

            while (NextProperty(ref reader))
            {
                if (!reader.ValueTextEquals("text"u8))
                {
                    SkipValue(ref reader);
                    continue;
                }

                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    throw new JsonException("delta.text is not a string.");
                }

                // The unescaped text is never longer than its escaped form, so this size always suffices.
                int needed = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
                if (buffer.Length < needed)
                {
                    byte[] old = buffer;
                    buffer = pool.Rent(needed);
                    pool.Return(old);
                }

                return reader.CopyString(buffer);
            }

            return -1;
        }

        return -1;
    }

    /// <summary>Reads <c>stopReason</c> of a <c>messageStop</c> payload.</summary>
    public static string ReadStopReason(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        ExpectStartObject(ref reader);
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("stopReason"u8))
            {
                reader.Read();
                return reader.GetString() ?? string.Empty;
            }

            SkipValue(ref reader);
        }

        // stopReason is required by the service model; an empty reason is still a completed message.
        return string.Empty;
    }

    /// <summary>Reads <c>usage.inputTokens</c>, <c>usage.outputTokens</c> and <c>metrics.latencyMs</c> of a <c>metadata</c> payload.</summary>
    public static (TokenUsage Usage, long LatencyMs) ReadMetadata(ReadOnlySpan<byte> payload)
    {
        int input = 0, output = 0;
        long latency = 0;
        var reader = new Utf8JsonReader(payload);
        ExpectStartObject(ref reader);
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("usage"u8))
            {
                if (!EnterObject(ref reader)) { continue; }
                while (NextProperty(ref reader))
                {
                    if (reader.ValueTextEquals("inputTokens"u8)) { reader.Read(); input = reader.GetInt32(); }
                    else if (reader.ValueTextEquals("outputTokens"u8)) { reader.Read(); output = reader.GetInt32(); }
                    else { SkipValue(ref reader); }
                }
            }
            else if (reader.ValueTextEquals("metrics"u8))
            {
                if (!EnterObject(ref reader)) { continue; }
                while (NextProperty(ref reader))
                {
                    if (reader.ValueTextEquals("latencyMs"u8)) { reader.Read(); latency = reader.GetInt64(); }
                    else { SkipValue(ref reader); }
                }
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        return (new TokenUsage(input, output), latency);
    }

    /// <summary>
    /// Reads the human-readable message of an error body or exception payload: <c>message</c> or <c>Message</c>
    /// (bedrock.md §1.6/§1.7); for <c>modelStreamErrorException</c> the model's own <c>originalMessage</c>/<c>originalStatusCode</c>
    /// are appended because the outer message ("Model Stream Error") says little. Also returns <c>__type</c>/<c>code</c> when present.
    /// Never throws: a body that is not JSON is returned as text.
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
            message = $"{message ?? "Model stream error"} (model status {originalStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}: {originalMessage})";
        }

        return (message, code);
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
