using System.Text.Encodings.Web;
using System.Text.Json;

namespace BedrockStream.Function;

/// <summary>JSON helpers shared by the response frames and the log line.</summary>
internal static class JsonFraming
{
    /// <summary>Escapes only what JSON requires (plus controls), so non-ASCII text stays compact UTF-8.</summary>
    public static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>Writes a UTF-8 string property; malformed UTF-8 (which Utf8JsonWriter rejects) is replaced with U+FFFD.</summary>
    public static void WriteUtf8String(Utf8JsonWriter json, ReadOnlySpan<byte> name, ReadOnlySpan<byte> utf8Value)
    {
        if (System.Text.Unicode.Utf8.IsValid(utf8Value))
            json.WriteString(name, utf8Value);
        else
            json.WriteString(name, System.Text.Encoding.UTF8.GetString(utf8Value));
    }

    public static void WriteOptional(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null) json.WriteNull(name); else json.WriteString(name, value);
    }

    public static void WriteOptional(Utf8JsonWriter json, ReadOnlySpan<byte> name, long? value)
    {
        if (value is { } v) json.WriteNumber(name, v); else json.WriteNull(name);
    }

    public static void WriteUtf8(PooledBufferWriter buffer, string text)
    {
        var span = buffer.GetSpan(System.Text.Encoding.UTF8.GetMaxByteCount(text.Length));
        buffer.Advance(System.Text.Encoding.UTF8.GetBytes(text, span));
    }
}
