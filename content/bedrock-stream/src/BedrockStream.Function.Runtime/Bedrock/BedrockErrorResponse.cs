using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;

namespace BedrockStream.Function.Runtime;

/// <summary>Maps a non-2xx Bedrock answer (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html#API_runtime_ConverseStream_Errors) to a <see cref="ModelException"/>.</summary>
public static class BedrockErrorResponse
{
    // Error bodies are a short {"message": …}; anything larger is cut rather than buffered whole.
    private const int MaxBodyBytes = 16 * 1024;

    /// <summary>Reads the (bounded) body and headers of <paramref name="response"/> and builds the exception to throw.</summary>
    public static async Task<ModelException> ReadAsync(HttpResponseMessage response, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(time);

        byte[] buffer = ArrayPool<byte>.Shared.Rent(MaxBodyBytes);
        try
        {
            int length = 0;
            try
            {
                await using Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                int read;
                while (length < MaxBodyBytes && (read = await body.ReadAsync(buffer.AsMemory(length, MaxBodyBytes - length), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    length += read;
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                // The status code still says what went wrong; the message is a nicety.
                cancellationToken.ThrowIfCancellationRequested();
            }

            (string? message, string? bodyCode) = ConverseEventParser.ReadErrorMessage(buffer.AsSpan(0, length));
            int status = (int)response.StatusCode;
            string code = ErrorCode(response.Headers) ?? Normalize(bodyCode) ?? $"Http{status.ToString(CultureInfo.InvariantCulture)}";
            return new ModelException(code, message ?? $"Bedrock answered HTTP {status.ToString(CultureInfo.InvariantCulture)}.", status, RetryAfter(response.Headers, time));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// <c>x-amzn-ErrorType: InvalidSignatureException:http://internal.amazon.com/coral/…</c> → the text
    /// before the first ':' (then after a '#', as botocore does for <c>namespace#Code</c>).
    /// </summary>
    public static string? ErrorCode(HttpResponseHeaders headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        return headers.TryGetValues("x-amzn-ErrorType", out IEnumerable<string>? values) ? Normalize(values.FirstOrDefault()) : null;
    }

    private static string? Normalize(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }

        string code = raw;
        int colon = code.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            code = code[..colon];
        }

        int hash = code.LastIndexOf('#');
        if (hash >= 0)
        {
            code = code[(hash + 1)..];
        }

        code = code.Trim();
        return code.Length == 0 ? null : code;
    }

    private static TimeSpan? RetryAfter(HttpResponseHeaders headers, TimeProvider time)
    {
        RetryConditionHeaderValue? retryAfter = headers.RetryAfter;
        if (retryAfter?.Delta is TimeSpan delta)
        {
            return delta;
        }

        if (retryAfter?.Date is DateTimeOffset date)
        {
            TimeSpan wait = date - time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }
}
