using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace BedrockStream.Function.Local;

/// <summary>How one <c>/response</c> went.</summary>
internal sealed record RelayOutcome(bool Succeeded, long BodyBytes, string? ErrorType = null, string? ErrorBody = null, string? Failure = null);

/// <summary>
/// Moves the function's <c>/response</c> body to the HTTP client. A streamed body is read as it arrives
/// (Kestrel hands out each chunk as soon as it is parsed) and every read is written and flushed to the
/// client on its own: that is what makes tokens appear one by one (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming).
/// </summary>
internal static class ResponseRelay
{
    private const int ReadBufferSize = 64 * 1024;

    public static async Task<RelayOutcome> RelayStreamingAsync(HttpRequest request, IInvocationResponder client, CancellationToken cancellationToken)
    {
        var body = request.Body;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(ReadBufferSize, HttpIntegrationResponse.MaxPreludeBytes + HttpIntegrationResponse.DelimiterLength));
        long relayed = 0;
        try
        {
            var filled = 0;
            var usesPrelude = request.ContentType?.StartsWith(HttpIntegrationResponse.ContentType, StringComparison.OrdinalIgnoreCase) == true;
            if (usesPrelude)
            {
                // Phase 1: the prelude, up to the 8 NUL bytes. Nothing reaches the client before it is complete.
                var limit = HttpIntegrationResponse.MaxPreludeBytes + HttpIntegrationResponse.DelimiterLength;
                var delimiter = -1;
                while (delimiter < 0)
                {
                    if (filled >= limit)
                        return await FailAsync(client, $"malformed prelude: no 8 NUL bytes within the first {HttpIntegrationResponse.MaxPreludeBytes} bytes", relayed);
                    var n = await body.ReadAsync(buffer.AsMemory(filled, limit - filled), cancellationToken);
                    if (n == 0)
                        return await FailAsync(client, $"malformed prelude: the stream ended after {filled} bytes without the 8 NUL bytes", relayed);
                    var from = filled;
                    filled += n;
                    delimiter = HttpIntegrationResponse.FindDelimiter(buffer.AsSpan(0, filled), from);
                }
                if (!HttpIntegrationResponse.TryParsePrelude(buffer.AsSpan(0, delimiter), out var head, out var error))
                    return await FailAsync(client, "malformed prelude: " + error, relayed);
                // https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html
                if (client.AcceptsOnlyStringHeaders && head.NonStringHeaders.Count > 0)
                    return await FailAsync(client, $"malformed prelude for a REST API: the value of header '{head.NonStringHeaders[0]}' is not a string (a list belongs in multiValueHeaders)", relayed);
                await client.StartAsync(head.StatusCode, head.Headers, head.Cookies, cancellationToken);
                var rest = filled - delimiter - HttpIntegrationResponse.DelimiterLength;
                if (rest > 0)
                {
                    await client.WriteAsync(buffer.AsMemory(delimiter + HttpIntegrationResponse.DelimiterLength, rest), cancellationToken);
                    relayed += rest;
                }
            }
            else
            {
                // A plain stream (no prelude): Lambda passes the runtime's Content-Type on.
                var type = request.ContentType ?? "application/octet-stream";
                await client.StartAsync(200, new[] { KeyValuePair.Create("content-type", type) }, Array.Empty<string>(), cancellationToken);
            }

            // Phase 2: the body, one read -> one write + flush.
            while (true)
            {
                var n = await body.ReadAsync(buffer.AsMemory(0, ReadBufferSize), cancellationToken);
                if (n == 0) break;
                await client.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                relayed += n;
            }

            // Phase 3: the trailers that report an error after the first byte; Kestrel parses HTTP/1.1 chunked trailers.
            if (request.CheckTrailersAvailable())
            {
                var type = request.GetTrailer(RuntimeApiHeaders.ErrorTypeTrailer).ToString();
                var encoded = request.GetTrailer(RuntimeApiHeaders.ErrorBodyTrailer).ToString();
                if (type.Length > 0 || encoded.Length > 0)
                    return new RelayOutcome(true, relayed, type, DecodeBase64(encoded));
            }
            return new RelayOutcome(true, relayed);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new RelayOutcome(false, relayed, Failure: "relay stopped (client gone or deadline)");
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
        {
            // BadHttpRequestException: broken chunk framing or a stream cut before its last chunk.
            return await FailAsync(client, "response stream broke: " + ex.Message, relayed);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A buffered response (no <c>Lambda-Runtime-Function-Response-Mode: streaming</c>): relayed as a whole.</summary>
    public static async Task<RelayOutcome> RelayBufferedAsync(HttpRequest request, IInvocationResponder client, CancellationToken cancellationToken)
    {
        // Lambda's limit for a buffered response (6 MB, https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html).
        const int limit = 6 * 1024 * 1024;
        byte[] payload;
        try
        {
            payload = await ReadAllAsync(request.Body, limit, cancellationToken);
        }
        catch (InvalidDataException)
        {
            return await FailAsync(client, "buffered response larger than 6 MB", 0);
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException or OperationCanceledException)
        {
            return await FailAsync(client, "buffered response broke: " + ex.Message, 0);
        }
        var (head, body) = HttpIntegrationResponse.ParseBuffered(payload);
        try
        {
            await client.StartAsync(head.StatusCode, head.Headers, head.Cookies, cancellationToken);
            if (body.Length > 0) await client.WriteAsync(body, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            return new RelayOutcome(false, 0, Failure: "client gone: " + ex.Message);
        }
        return new RelayOutcome(true, body.Length);
    }

    public static async Task<byte[]> ReadAllAsync(Stream stream, int limit, CancellationToken cancellationToken)
    {
        using var ms = new MemoryStream();
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (ms.Length + n > limit) throw new InvalidDataException($"more than {limit} bytes");
                ms.Write(buffer, 0, n);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return ms.ToArray();
    }

    private static async Task<RelayOutcome> FailAsync(IInvocationResponder client, string failure, long relayed)
    {
        // Before the first byte the client can still get a proper 502; after it, only a reset says "failed".
        if (!await client.TryFailAsync(502, FunctionUrlErrors.InternalServerError)) client.Abort();
        return new RelayOutcome(false, relayed, Failure: failure);
    }

    private static string DecodeBase64(string encoded)
    {
        if (encoded.Length == 0) return "";
        try { return Encoding.UTF8.GetString(Convert.FromBase64String(encoded)); }
        catch (FormatException) { return "(not base64) " + encoded; }
    }
}
