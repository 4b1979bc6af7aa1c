using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace BedrockStream.Function.Bedrock;

/// <summary>Writes the JSON body of a ConverseStream request (bedrock.md §1.2) without reflection, so it is Native AOT safe.</summary>
public static class ConverseRequestWriter
{
    // The body is never embedded in HTML, so non-ASCII text can go out as raw UTF-8 (smaller than \uXXXX escapes).
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };

    /// <summary>Writes <paramref name="request"/> as UTF-8 JSON into <paramref name="output"/>.</summary>
    public static void Write(ChatRequest request, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(output);

        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();

        writer.WriteStartArray("messages"u8);
        foreach (ChatMessage message in request.Messages)
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, message.Role);
            writer.WriteStartArray("content"u8);
            writer.WriteStartObject();
            writer.WriteString("text"u8, message.Content);
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();

        // Bedrock rejects an empty text block, so an empty system prompt means "none".
        if (!string.IsNullOrEmpty(request.System))
        {
            writer.WriteStartArray("system"u8);
            writer.WriteStartObject();
            writer.WriteString("text"u8, request.System);
            writer.WriteEndObject();
            writer.WriteEndArray();
        }

        writer.WriteStartObject("inferenceConfig"u8);
        writer.WriteNumber("maxTokens"u8, request.MaxTokens);

        // bedrock.md §0.4: newer Claude models reject temperature/topP, so they go out only when the caller set them.
        if (request.Temperature is double temperature)
        {
            writer.WriteNumber("temperature"u8, temperature);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();
    }
}
