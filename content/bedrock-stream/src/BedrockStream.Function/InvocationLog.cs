using System.Buffers;
using System.Text;
using System.Text.Json;
using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function;

/// <summary>
/// What one invocation did, written as exactly one JSON line: request id, model, status, timings, token usage
/// (prompt-cache reads and writes included), tool calls, stop reason, bytes sent, error, and the CloudWatch Embedded
/// Metric Format block for the same values. The prompt, the answer and the reasoning are kept (and logged) only
/// when <c>LOG_CONTENT=true</c>; tool arguments and results never are.
/// </summary>
public sealed class InvocationLog
{
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly bool _logContent;
    private StringBuilder? _answer;
    private StringBuilder? _reasoning;

    public InvocationLog(string requestId, string model, bool logContent, TimeProvider time)
    {
        RequestId = requestId;
        Model = model;
        _logContent = logContent;
        _time = time;
        _started = time.GetTimestamp();
        StartedAt = time.GetUtcNow();
    }

    /// <summary>When the invocation started (the <c>created</c> time of an OpenAI response).</summary>
    public DateTimeOffset StartedAt { get; }

    public string RequestId { get; }
    public string Model { get; }
    public int? Status { get; set; }
    public long? TtftMs { get; private set; }
    /// <summary>Tokens summed over every model call of the invocation (a tool loop makes several); null until usage arrives.</summary>
    public int? InputTokens { get; private set; }
    public int? OutputTokens { get; private set; }
    public int? CacheReadInputTokens { get; private set; }
    public int? CacheWriteInputTokens { get; private set; }
    /// <summary>Reasoning tokens, when the model reports them separately (Bedrock counts them in the output tokens).</summary>
    public int? ReasoningTokens { get; private set; }
    /// <summary>Tool calls the model made.</summary>
    public int ToolCalls { get; set; }
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

    /// <summary>The reasoning so far; null unless content logging is on.</summary>
    public string? Reasoning => _reasoning?.ToString();

    public void AppendAnswer(string text)
    {
        if (_logContent)
            (_answer ??= new StringBuilder()).Append(text);
    }

    public void AppendReasoning(string text)
    {
        if (_logContent)
            (_reasoning ??= new StringBuilder()).Append(text);
    }

    /// <summary>Adds the usage of one model call (<see cref="UsageContent"/>); the cache counts are Bedrock's, as both Bedrock clients report them.</summary>
    public void AddUsage(UsageDetails usage)
    {
        InputTokens = Sum(InputTokens, (int?)usage.InputTokenCount);
        OutputTokens = Sum(OutputTokens, (int?)usage.OutputTokenCount);
        CacheReadInputTokens = Sum(CacheReadInputTokens, (int?)usage.CachedInputTokenCount ?? 0);
        long? written = usage.AdditionalCounts?.TryGetValue(BedrockKeys.CacheWriteInputTokens, out long w) == true ? w : null;
        CacheWriteInputTokens = Sum(CacheWriteInputTokens, (int?)written ?? 0);
        if (usage.ReasoningTokenCount is { } reasoning)
            ReasoningTokens = Sum(ReasoningTokens, (int)reasoning);
    }

    private static int? Sum(int? total, int? more) => more is null ? total : (total ?? 0) + more;

    /// <summary>Writes the token counts (null where unknown; <c>reasoningTokens</c> only when reported).</summary>
    public void WriteUsage(Utf8JsonWriter json)
    {
        JsonFraming.WriteOptional(json, "inputTokens"u8, InputTokens);
        JsonFraming.WriteOptional(json, "outputTokens"u8, OutputTokens);
        JsonFraming.WriteOptional(json, "cacheReadInputTokens"u8, CacheReadInputTokens);
        JsonFraming.WriteOptional(json, "cacheWriteInputTokens"u8, CacheWriteInputTokens);
        if (ReasoningTokens is { } reasoning)
            json.WriteNumber("reasoningTokens"u8, reasoning);
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
            WriteUsage(json);
            json.WriteNumber("toolCalls", ToolCalls);
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
                if (Reasoning is not null)
                    json.WriteString("reasoning"u8, Reasoning);
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
        if (CacheReadInputTokens is not null) Metric(json, "CacheReadInputTokens", "Count");
        if (CacheWriteInputTokens is not null) Metric(json, "CacheWriteInputTokens", "Count");
        if (TtftMs is not null) Metric(json, "ToolCalls", "Count");
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();

        if (TtftMs is { } ttft) json.WriteNumber("TimeToFirstToken", ttft);
        json.WriteNumber("Duration", durationMs);
        if (InputTokens is { } input) json.WriteNumber("InputTokens", input);
        if (OutputTokens is { } output) json.WriteNumber("OutputTokens", output);
        if (CacheReadInputTokens is { } cacheRead) json.WriteNumber("CacheReadInputTokens", cacheRead);
        if (CacheWriteInputTokens is { } cacheWrite) json.WriteNumber("CacheWriteInputTokens", cacheWrite);
        if (TtftMs is not null) json.WriteNumber("ToolCalls", ToolCalls);
    }

    private static void Metric(Utf8JsonWriter json, string name, string unit)
    {
        json.WriteStartObject();
        json.WriteString("Name", name);
        json.WriteString("Unit", unit);
        json.WriteEndObject();
    }
}
