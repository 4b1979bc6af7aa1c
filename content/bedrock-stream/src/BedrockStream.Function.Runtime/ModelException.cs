namespace BedrockStream.Function.Runtime;

/// <summary>
/// A model call that failed: an HTTP error before the stream, an exception frame inside it, or a stream that
/// broke (bad checksum, connection reset, no <c>messageStop</c>). Both Bedrock clients of this project throw it,
/// so the handler maps one exception type to HTTP statuses, retries and error events.
/// </summary>
public sealed class ModelException : Exception
{
    public ModelException(string errorCode, string message, int? statusCode = null, TimeSpan? retryAfter = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorCode = errorCode;
        StatusCode = statusCode;
        RetryAfter = retryAfter;
    }

    /// <summary>Bedrock's error code, e.g. <c>ThrottlingException</c>, <c>AccessDeniedException</c>, or one of <see cref="ModelErrorCodes"/>.</summary>
    public string ErrorCode { get; }

    /// <summary>The HTTP status Bedrock answered with, when the error came before the stream.</summary>
    public int? StatusCode { get; }

    /// <summary>A retry hint (<c>Retry-After</c>) when Bedrock gave one.</summary>
    public TimeSpan? RetryAfter { get; }
}

/// <summary>Error codes for failures that Bedrock itself does not name.</summary>
public static class ModelErrorCodes
{
    /// <summary>The stream ended before <c>messageStop</c>.</summary>
    public const string StreamTruncated = "StreamTruncatedException";
    /// <summary>A frame failed its CRC or could not be decoded.</summary>
    public const string MalformedStream = "MalformedEventStreamException";
    /// <summary>The connection to Bedrock failed or was reset.</summary>
    public const string ConnectionError = "ConnectionError";
    /// <summary>The credentials chain found nothing (or failed): no request was sent.</summary>
    public const string CredentialsError = "CredentialsError";
    /// <summary>The AWS SDK failed on the client side for another reason (configuration, endpoint resolution, …).</summary>
    public const string ClientError = "ClientError";
}
