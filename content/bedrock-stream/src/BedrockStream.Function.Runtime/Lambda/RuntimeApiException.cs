namespace BedrockStream.Function.Runtime;

/// <summary>The Lambda Runtime API answered with an unexpected status, or could not be reached at all.</summary>
public sealed class RuntimeApiException : Exception
{
    public RuntimeApiException(string message, int? statusCode = null, Exception? inner = null)
        : base(message, inner) => StatusCode = statusCode;

    /// <summary>The HTTP status the Runtime API answered with, when it answered.</summary>
    public int? StatusCode { get; }
}
