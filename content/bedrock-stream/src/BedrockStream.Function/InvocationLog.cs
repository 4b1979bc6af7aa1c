using System.Buffers;
using System.Text;
using System.Text.Json;

namespace BedrockStream.Function;

/// <summary>
/// What one invocation did, written as exactly one JSON line: request id, model, status, timings, token usage,
/// stop reason, bytes sent, error, and the CloudWatch Embedded Metric Format block for the same values.
/// The prompt and the answer are kept (and logged) only when <c>LOG_CONTENT=true</c>.
/// </summary>
public sealed class InvocationLog
{
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly bool _logContent;
    private StringBuilder? _answer;

    public InvocationLog(string requestId, string model, bool logContent, TimeProvider time)
    {
        RequestId = requestId;
        Model = model;
        _logContent = logContent;
        _time = time;
        _started = time.GetTimestamp();
    }

    public string RequestId { get; }
    public string Model { get; }
    public int? Status { get; set; }
    public long? TtftMs { get; private set; }
    public int? InputTokens { get; set; }
    public int? OutputTokens { get; set; }
    public string? StopReason { get; set; }
    public long BytesSent { get; set; }
    public string? ErrorType { get; set; }
    public string? ErrorMessage { get; set; }
    /// <summary>Model calls retried after throttling or unavailability.</summary>
    public int Retries { get; set; }

    /// <summary>Records a failure: Bedrock's error code (or the exception's type) and its message.</summary>
    public void SetError(Exception error)
    {
        ErrorType = error is ModelException model ? model.ErrorCode : error.GetType().Name;
        ErrorMessage = WithoutSigningDetails(error.Message);
    }

    /// <summary>
    /// AWS's signature errors quote the canonical request and string to sign, which carry the session token:
    /// never let those reach the log.
    /// </summary>
    internal static string WithoutSigningDetails(string message)
    {
        var quote = message.IndexOf("The Canonical String for this request", StringComparison.Ordinal);
        if (quote < 0) quote = message.IndexOf("The String-to-Sign", StringComparison.Ordinal);
        if (quote >= 0) message = message[..quote].TrimEnd() + " [signing details removed]";
        var token = message.IndexOf("x-amz-security-token", StringComparison.OrdinalIgnoreCase);
        return token < 0 ? message : message[..token] + "[removed]";
    }

    /// <summary>Milliseconds since the invocation started.</summary>
    public long ElapsedMs => (long)_time.GetElapsedTime(_started).TotalMilliseconds;

    /// <summary>Kept only when content logging is on.</summary>
    public string? Prompt { get => field; set => field = _logContent ? value : null; }

    /// <summary>The answer so far; null unless content logging is on.</summary>
    public string? Answer => _answer?.ToString();

    public void MarkFirstEvent() => TtftMs ??= ElapsedMs;

    public void AppendAnswer(ReadOnlySpan<byte> utf8Text)
    {
        if (_logContent)
            (_answer ??= new StringBuilder()).Append(Encoding.UTF8.GetString(utf8Text));
    }

    /// <summary>Writes the line to <paramref name="log"/> with a single <see cref="TextWriter.Write(char[], int, int)"/>.</summary>
    public void WriteTo(TextWriter log)
    {
        long durationMs = ElapsedMs;
        using var buffer = new PooledBufferWriter(512);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JsonFraming.Encoder }))
        {
            json.WriteStartObject();
            json.WriteString("requestId", RequestId);
            json.WriteString("model", Model);
            JsonFraming.WriteOptional(json, "status"u8, Status);
            JsonFraming.WriteOptional(json, "ttftMs"u8, TtftMs);
            json.WriteNumber("durationMs", durationMs);
            JsonFraming.WriteOptional(json, "inputTokens"u8, InputTokens);
            JsonFraming.WriteOptional(json, "outputTokens"u8, OutputTokens);
            JsonFraming.WriteOptional(json, "stopReason"u8, StopReason);
            json.WriteNumber("bytesSent", BytesSent);
            if (Retries > 0)
                json.WriteNumber("retries", Retries);
            if (ErrorType is not null)
            {
                json.WriteString("errorType", ErrorType);
                if (ErrorMessage is not null)
                    json.WriteString("errorMessage", ErrorMessage);
            }
            if (_logContent)
            {
                JsonFraming.WriteOptional(json, "prompt"u8, Prompt);
                JsonFraming.WriteOptional(json, "answer"u8, Answer);
            }
            WriteMetrics(json, durationMs);
            json.WriteEndObject();
        }
        buffer.Write("\n"u8);

        var bytes = buffer.WrittenMemory.Span;
        var chars = ArrayPool<char>.Shared.Rent(Encoding.UTF8.GetMaxCharCount(bytes.Length));
        try
        {
            int count = Encoding.UTF8.GetChars(bytes, chars);
            log.Write(chars, 0, count);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    // CloudWatch EMF: "_aws" declares the metrics (dimension: model); their values are top-level keys.
    // A metric is declared only when its value is known (no TTFT or tokens for a request rejected up front).
    private void WriteMetrics(Utf8JsonWriter json, long durationMs)
    {
        json.WriteStartObject("_aws");
        json.WriteNumber("Timestamp", _time.GetUtcNow().ToUnixTimeMilliseconds());
        json.WriteStartArray("CloudWatchMetrics");
        json.WriteStartObject();
        json.WriteString("Namespace", "BedrockStream");
        json.WriteStartArray("Dimensions");
        json.WriteStartArray();
        json.WriteStringValue("model");
        json.WriteEndArray();
        json.WriteEndArray();
        json.WriteStartArray("Metrics");
        if (TtftMs is not null) Metric(json, "TimeToFirstToken", "Milliseconds");
        Metric(json, "Duration", "Milliseconds");
        if (InputTokens is not null) Metric(json, "InputTokens", "Count");
        if (OutputTokens is not null) Metric(json, "OutputTokens", "Count");
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();

        if (TtftMs is { } ttft) json.WriteNumber("TimeToFirstToken", ttft);
        json.WriteNumber("Duration", durationMs);
        if (InputTokens is { } input) json.WriteNumber("InputTokens", input);
        if (OutputTokens is { } output) json.WriteNumber("OutputTokens", output);
    }

    private static void Metric(Utf8JsonWriter json, string name, string unit)
    {
        json.WriteStartObject();
        json.WriteString("Name", name);
        json.WriteString("Unit", unit);
        json.WriteEndObject();
    }
}
