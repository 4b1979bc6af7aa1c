using System.Buffers;
using System.Text.Json;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// The HTTP integration prelude: <c>{"statusCode":N,"headers":{...},"cookies":[...]}</c> followed by 8 NUL bytes,
/// which tells a Function URL (or API Gateway) the status and headers of a streamed response
/// (https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html#response-transfer-mode-lambda-format).
/// </summary>
internal static class HttpPrelude
{
    /// <summary>Delimiter between the prelude JSON and the body (exactly 8 NUL bytes).</summary>
    public static ReadOnlySpan<byte> Delimiter => [0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>Writes the prelude JSON and the delimiter.</summary>
    public static void Write(IBufferWriter<byte> output, int statusCode, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        // Utf8JsonWriter escapes control characters (a NUL becomes \u0000), so no raw NUL can end the JSON early.
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WriteNumber("statusCode"u8, statusCode);
            writer.WriteStartObject("headers"u8);
            bool anyCookie = false;
            for (int i = 0; i < headers.Count; i++)
            {
                string name = headers[i].Key;
                if (IsSetCookie(name))
                {
                    anyCookie = true;
                }
                else if (!IsFraming(name) && !AppearsBefore(headers, i, name))
                {
                    writer.WriteString(name, JoinValues(headers, i, name));
                }
            }

            writer.WriteEndObject();

            // Function URLs take Set-Cookie from "cookies", not from "headers" (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html).
            if (anyCookie)
            {
                writer.WriteStartArray("cookies"u8);
                for (int i = 0; i < headers.Count; i++)
                {
                    if (IsSetCookie(headers[i].Key))
                    {
                        writer.WriteStringValue(headers[i].Value);
                    }
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
            writer.Flush();
        }

        Delimiter.CopyTo(output.GetSpan(Delimiter.Length));
        output.Advance(Delimiter.Length);
    }

    private static bool IsSetCookie(string name) => string.Equals(name, "Set-Cookie", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Body framing belongs to the Runtime API and the Function URL, not to the handler: a Content-Length in the
    /// prelude would contradict the chunked stream (Amazon.Lambda.AspNetCoreServer drops these two as well).
    /// </summary>
    private static bool IsFraming(string name) =>
        string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, "Transfer-Encoding", StringComparison.OrdinalIgnoreCase);

    private static bool AppearsBefore(IReadOnlyList<KeyValuePair<string, string>> headers, int index, string name)
    {
        for (int j = 0; j < index; j++)
        {
            if (string.Equals(headers[j].Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// "headers" maps a name to one string, so repeated headers are joined with ", " (RFC 9110, section 5.3): a Function URL
    /// reads only strings there, and a REST API answers 502 to a list
    /// (https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html).
    /// </summary>
    private static string JoinValues(IReadOnlyList<KeyValuePair<string, string>> headers, int first, string name)
    {
        string value = headers[first].Value;
        for (int j = first + 1; j < headers.Count; j++)
        {
            if (string.Equals(headers[j].Key, name, StringComparison.OrdinalIgnoreCase))
            {
                value = value + ", " + headers[j].Value;
            }
        }

        return value;
    }
}
