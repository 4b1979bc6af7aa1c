using BedrockStream.Function.Runtime;

namespace BedrockStream.Function;

/// <summary>
/// Maps a failed model call to what the caller sees. Messages that could reveal the function's account, role or
/// configuration (access denied, not found, service faults) are replaced by generic ones; the log keeps the original.
/// </summary>
public static class ModelErrorMapping
{
    private static readonly string[] ConfigurationHints =
        ["model identifier", "model id", "modelid", "inference profile", "throughput", "arn:", " arn ", "endpoint"];

    public static HttpError ToHttpError(ModelException error)
    {
        string code = error.ErrorCode;
        string type = code.EndsWith("Exception", StringComparison.Ordinal) && code.Length > "Exception".Length
            ? code[..^"Exception".Length]
            : code;
        return code switch
        {
            "ThrottlingException" or "ModelNotReadyException" => new HttpError(429, type,
                $"The model is busy ({code}); retry after {RetryAfterSeconds(error)} s.")
            {
                Headers = [new("Retry-After", RetryAfterSeconds(error).ToString(System.Globalization.CultureInfo.InvariantCulture))],
            },
            "AccessDeniedException" or "ResourceNotFoundException" => new HttpError(502, type,
                $"The function cannot use its model ({code}); see the function's log."),
            "ValidationException" when IsAboutConfiguration(error.Message) => new HttpError(502, type,
                $"The model rejected the function's configuration ({code}); see the function's log."),
            "ValidationException" => new HttpError(400, type, $"The model rejected the request: {error.Message}"),
            "ServiceUnavailableException" or "InternalServerException" or "ModelTimeoutException" => new HttpError(503, type,
                $"The model is temporarily unavailable ({code}); retry later."),
            _ => new HttpError(502, type, $"The model call failed ({code})."),
        };
    }

    /// <summary>A failure that is not the model's (a bug): reported without details.</summary>
    public static HttpError Internal(Exception error) =>
        new(500, "InternalError", $"The function failed ({error.GetType().Name}).");

    /// <summary>Whole seconds to wait, from Bedrock's hint, at least 1.</summary>
    public static int RetryAfterSeconds(ModelException error) =>
        error.RetryAfter is { } after && after > TimeSpan.Zero ? (int)Math.Ceiling(after.TotalSeconds) : 1;

    /// <summary>
    /// A ValidationException names either the caller's input (400) or the function's model id / profile /
    /// throughput setup (502): Bedrock words the latter with the model identifier, an inference profile or an ARN.
    /// </summary>
    public static bool IsAboutConfiguration(string message) =>
        ConfigurationHints.Any(hint => message.Contains(hint, StringComparison.OrdinalIgnoreCase));
}
