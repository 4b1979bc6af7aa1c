using System.Buffers;
using System.Text.Json;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// The Lambda error document <c>{"errorMessage","errorType","stackTrace":[]}</c> (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html#runtimes-api-invokeerror), used as the <c>/error</c> and <c>/init/error</c> body and, base64-encoded, as the
/// <c>Lambda-Runtime-Function-Error-Body</c> trailer (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming).
/// </summary>
internal static class ErrorPayload
{
    /// <summary>Content type of the <c>/error</c> and <c>/init/error</c> bodies (RuntimeSupport <c>ErrorContentType</c>).</summary>
    public const string ContentType = "application/vnd.aws.lambda.error+json";

    /// <summary>
    /// Messages are capped: the trailer travels as one header line, and the stack trace is deliberately left empty
    /// so that no internals (or request text caught in a message) grow the payload without bound.
    /// </summary>
    public const int MaxMessageChars = 4096;

    public static void WriteJson(IBufferWriter<byte> output, string errorType, string errorMessage)
    {
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteString("errorMessage"u8, Truncate(errorMessage));
        writer.WriteString("errorType"u8, Truncate(errorType));
        writer.WriteStartArray("stackTrace"u8);
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
    }

    private static string Truncate(string text)
    {
        if (text.Length <= MaxMessageChars)
        {
            return text;
        }

        int cut = MaxMessageChars;
        if (char.IsHighSurrogate(text[cut - 1]))
        {
            cut--; // never split a surrogate pair: the half would be invalid UTF-16
        }

        return text[..cut];
    }
}
