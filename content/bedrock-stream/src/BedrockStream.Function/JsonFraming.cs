using System.Text.Encodings.Web;
using System.Text.Json;

namespace BedrockStream.Function;

/// <summary>JSON helpers shared by the response frames and the log line.</summary>
internal static class JsonFraming
{
    /// <summary>Escapes only what JSON requires (plus controls), so non-ASCII text stays compact UTF-8.</summary>
    public static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    public static void WriteOptional(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null) json.WriteNull(name); else json.WriteString(name, value);
    }

    public static void WriteOptional(Utf8JsonWriter json, ReadOnlySpan<byte> name, long? value)
    {
        if (value is { } v) json.WriteNumber(name, v); else json.WriteNull(name);
    }
}
