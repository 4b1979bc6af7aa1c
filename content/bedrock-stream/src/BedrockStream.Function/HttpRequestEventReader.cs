using System.Text.Json;

namespace BedrockStream.Function;

/// <summary>
/// Reads an <see cref="HttpRequestEvent"/> with <see cref="Utf8JsonReader"/>, with the result System.Text.Json's
/// deserializer gives (names matched case-sensitively, unknown fields skipped, a repeated field's last value kept,
/// a field of the wrong type an error). Hand-written because the deserializer builds its metadata for these types
/// (the dictionaries of headers and query parameters, the nested request context) at the first request: about 8 ms
/// of CPU in a cold start's first answer, ten times that on a 128 MB function's share of a vCPU.
/// </summary>
internal static class HttpRequestEventReader
{
    /// <summary>The event in <paramref name="json"/>; null for the JSON literal <c>null</c>.</summary>
    /// <exception cref="JsonException">Not one JSON value, or a field of the wrong type.</exception>
    public static HttpRequestEvent? Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read())
            throw new JsonException("The event is empty.");
        var httpRequest = reader.TokenType == JsonTokenType.Null ? null : ReadEvent(ref reader);
        // Anything after the event's value makes the reader throw, as the deserializer does.
        reader.Read();
        return httpRequest;
    }

    private static HttpRequestEvent ReadEvent(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        var e = new HttpRequestEvent();
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("rawPath"u8)) e.RawPath = ReadString(ref reader);
            else if (reader.ValueTextEquals("rawQueryString"u8)) e.RawQueryString = ReadString(ref reader);
            else if (reader.ValueTextEquals("httpMethod"u8)) e.HttpMethod = ReadString(ref reader);
            else if (reader.ValueTextEquals("path"u8)) e.Path = ReadString(ref reader);
            else if (reader.ValueTextEquals("multiValueHeaders"u8)) e.MultiValueHeaders = ReadMap(ref reader, ReadStringList);
            else if (reader.ValueTextEquals("multiValueQueryStringParameters"u8)) e.MultiValueQueryStringParameters = ReadMap(ref reader, ReadStringList);
            else if (reader.ValueTextEquals("queryStringParameters"u8)) e.QueryStringParameters = ReadMap(ref reader, static (ref Utf8JsonReader r) => ReadValueString(ref r)!);
            else if (reader.ValueTextEquals("headers"u8)) e.Headers = ReadMap(ref reader, static (ref Utf8JsonReader r) => ReadValueString(ref r)!);
            else if (reader.ValueTextEquals("body"u8)) e.Body = ReadString(ref reader);
            else if (reader.ValueTextEquals("isBase64Encoded"u8)) e.IsBase64Encoded = ReadBoolean(ref reader);
            else if (reader.ValueTextEquals("requestContext"u8)) e.RequestContext = ReadContext(ref reader);
            else Skip(ref reader);
        }
        return e;
    }

    private static HttpRequestContext? ReadContext(ref Utf8JsonReader reader)
    {
        if (!EnterObject(ref reader))
            return null;
        var context = new HttpRequestContext();
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("http"u8)) context.Http = ReadHttp(ref reader);
            else if (reader.ValueTextEquals("requestId"u8)) context.RequestId = ReadString(ref reader);
            else Skip(ref reader);
        }
        return context;
    }

    private static FunctionUrlHttp? ReadHttp(ref Utf8JsonReader reader)
    {
        if (!EnterObject(ref reader))
            return null;
        var http = new FunctionUrlHttp();
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("method"u8)) http.Method = ReadString(ref reader);
            else if (reader.ValueTextEquals("path"u8)) http.Path = ReadString(ref reader);
            else if (reader.ValueTextEquals("sourceIp"u8)) http.SourceIp = ReadString(ref reader);
            else Skip(ref reader);
        }
        return http;
    }

    private delegate T ValueReader<T>(ref Utf8JsonReader reader);

    // Positioned on a property name: its value, an object of values read by readValue, or null.
    private static Dictionary<string, T>? ReadMap<T>(ref Utf8JsonReader reader, ValueReader<T> readValue)
    {
        if (!EnterObject(ref reader))
            return null;
        var map = new Dictionary<string, T>();
        while (NextProperty(ref reader))
        {
            var key = reader.GetString()!;
            reader.Read();
            map[key] = readValue(ref reader);
        }
        return map;
    }

    // Positioned on a value: an array of strings (or nulls), or null.
    private static List<string>? ReadStringList(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
            return null;
        Expect(ref reader, JsonTokenType.StartArray);
        var list = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            list.Add(ReadValueString(ref reader)!);
        return list;
    }

    // Positioned on a value: a string, or null.
    private static string? ReadValueString(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Null => null,
        _ => throw new JsonException($"Expected a string, got {reader.TokenType}."),
    };

    // Positioned on a property name: its value as a string, or null.
    private static string? ReadString(ref Utf8JsonReader reader)
    {
        reader.Read();
        return ReadValueString(ref reader);
    }

    private static bool ReadBoolean(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => throw new JsonException($"Expected true or false, got {reader.TokenType}."),
        };
    }

    // Positioned on a property name: moves onto its value; true for an object, false for null, else an error.
    private static bool EnterObject(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
            return false;
        Expect(ref reader, JsonTokenType.StartObject);
        return true;
    }

    // Advances to the next property name of the current object; false at its end.
    private static bool NextProperty(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.PropertyName;
    }

    // Positioned on a property name: skips its value, whatever it is.
    private static void Skip(ref Utf8JsonReader reader)
    {
        reader.Read();
        reader.Skip();
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (reader.TokenType != type)
            throw new JsonException($"Expected {type}, got {reader.TokenType}.");
    }
}
