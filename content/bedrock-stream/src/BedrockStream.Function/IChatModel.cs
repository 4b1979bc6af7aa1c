namespace BedrockStream.Function;

/// <summary>A model that streams its answer to a conversation (Bedrock ConverseStream behind it).</summary>
public interface IChatModel
{
    /// <summary>
    /// Starts the model call and yields its events as they arrive.
    /// Throws <see cref="ModelException"/> for errors before or during the stream.
    /// </summary>
    /// <remarks>The memory of a yielded <see cref="ModelEvent.Text"/> is valid only until the next event is requested.</remarks>
    IAsyncEnumerable<ModelEvent> StreamAsync(ChatRequest request, CancellationToken cancellationToken = default);
}

/// <summary>A conversation to send to the model.</summary>
/// <param name="ModelId">Model id, inference-profile id or ARN.</param>
/// <param name="Messages">The turns, oldest first; the last one is the user's.</param>
/// <param name="System">Optional system prompt.</param>
/// <param name="MaxTokens">Upper bound on the answer's length.</param>
/// <param name="Temperature">Sent to the model only when the caller set it (some models reject it).</param>
public sealed record ChatRequest(
    string ModelId,
    IReadOnlyList<ChatMessage> Messages,
    string? System,
    int MaxTokens,
    double? Temperature = null);

/// <summary>One turn of a conversation.</summary>
/// <param name="Role"><c>user</c> or <c>assistant</c>.</param>
public sealed record ChatMessage(string Role, string Content);

/// <summary>What a <see cref="ModelEvent"/> carries.</summary>
public enum ModelEventKind
{
    /// <summary>A piece of the answer's text (<c>contentBlockDelta</c>).</summary>
    TextDelta,
    /// <summary>The model finished (<c>messageStop</c>); <see cref="ModelEvent.StopReason"/> says why.</summary>
    MessageStop,
    /// <summary>Token usage and latency (<c>metadata</c>, which comes after <c>messageStop</c>).</summary>
    Metadata,
}

/// <summary>One event of a model's streamed answer.</summary>
public readonly record struct ModelEvent
{
    public ModelEventKind Kind { get; init; }

    /// <summary>For <see cref="ModelEventKind.TextDelta"/>: the text, as UTF-8 (not JSON-escaped).</summary>
    public ReadOnlyMemory<byte> Text { get; init; }

    /// <summary>For <see cref="ModelEventKind.MessageStop"/>: e.g. <c>end_turn</c>, <c>max_tokens</c>, <c>guardrail_intervened</c>.</summary>
    public string? StopReason { get; init; }

    /// <summary>For <see cref="ModelEventKind.Metadata"/>.</summary>
    public TokenUsage Usage { get; init; }

    /// <summary>For <see cref="ModelEventKind.Metadata"/>: the model's own latency in milliseconds.</summary>
    public long LatencyMs { get; init; }

    public static ModelEvent Delta(ReadOnlyMemory<byte> utf8Text) => new() { Kind = ModelEventKind.TextDelta, Text = utf8Text };
    public static ModelEvent Stop(string stopReason) => new() { Kind = ModelEventKind.MessageStop, StopReason = stopReason };
    public static ModelEvent Meta(TokenUsage usage, long latencyMs) => new() { Kind = ModelEventKind.Metadata, Usage = usage, LatencyMs = latencyMs };
}

/// <summary>Token counts reported by the model.</summary>
public readonly record struct TokenUsage(int InputTokens, int OutputTokens);

/// <summary>
/// A model call that failed: an HTTP error before the stream, an exception frame inside it,
/// or a stream that broke (bad checksum, connection reset, no <c>messageStop</c>).
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
}
