using System.Globalization;
using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function;

/// <summary>How the answer is framed on the wire.</summary>
public enum ResponseFormat
{
    /// <summary>Server-sent events: <c>data: {"text":"..."}</c> per delta, then <c>event: done</c>.</summary>
    Sse,
    /// <summary>The raw UTF-8 text of the answer.</summary>
    Text,
    /// <summary>OpenAI's Chat Completions API (<c>POST /v1/chat/completions</c>, <c>GET /v1/models</c>), in projects generated with <c>--format openai</c>.</summary>
    OpenAi,
}

/// <summary>The function's configuration, read once at start-up from environment variables.</summary>
/// <param name="ModelId"><c>MODEL_ID</c>: model id, inference-profile id or ARN (required).</param>
/// <param name="MaxTokens"><c>MAX_TOKENS</c>: default answer length and the ceiling a request may ask for (1–65536, default 1024).</param>
/// <param name="SystemPrompt"><c>SYSTEM_PROMPT</c>: system prompt used when a request has none (optional).</param>
/// <param name="Format"><c>RESPONSE_FORMAT</c>: <c>sse</c> (default), <c>text</c> or <c>openai</c>.</param>
/// <param name="MaxRequestBytes"><c>MAX_REQUEST_BYTES</c>: largest accepted request body, after base64 decoding (1–6291456, default 65536).</param>
/// <param name="LogContent"><c>LOG_CONTENT</c>: log the prompt and the answer (<c>true</c>/<c>false</c>, default false).</param>
/// <param name="DeadlineMarginMs"><c>DEADLINE_MARGIN_MS</c>: how long before Lambda's deadline the answer is cut off (0–60000, default 1000).</param>
/// <param name="ReasoningEffort"><c>REASONING_EFFORT</c>: <c>off</c> (default), <c>low</c>, <c>medium</c> or <c>high</c>; the most a request may ask for.</param>
/// <param name="PromptCache"><c>PROMPT_CACHE</c>: prompt-cache points where the model supports them (<c>true</c>/<c>false</c>, default true).</param>
/// <param name="MaxToolRounds"><c>MAX_TOOL_ROUNDS</c>: model turns that may call tools in one invocation (1–50, default 5).</param>
/// <param name="ToolTimeoutSeconds"><c>TOOL_TIMEOUT_SECONDS</c>: how long one tool call may run, never past the deadline (1–900, default 10).</param>
/// <param name="HeartbeatSeconds"><c>HEARTBEAT_SECONDS</c>: once the answer has started, an SSE comment after this many seconds of silence, for fronts that drop a silent connection (0–900, default 0 = off; sse and openai, not text).</param>
/// <param name="StartStreamAfterSeconds"><c>START_STREAM_AFTER_SECONDS</c>: a model that has not started after this many seconds gets the 200 and a heartbeat anyway (0–900, default 0 = off; sse and openai, not text).</param>
/// <param name="CorsAllowOrigin"><c>CORS_ALLOW_ORIGIN</c>: the origin a browser may call from, sent in <c>Access-Control-Allow-Origin</c>, and the CORS preflight answered (optional; for fronts that pass the function's headers on: REST API, CloudFront).</param>
public sealed record FunctionSettings(
    string ModelId,
    int MaxTokens = FunctionSettings.DefaultMaxTokens,
    string? SystemPrompt = null,
    ResponseFormat Format = ResponseFormat.Sse,
    int MaxRequestBytes = FunctionSettings.DefaultMaxRequestBytes,
    bool LogContent = false,
    int DeadlineMarginMs = FunctionSettings.DefaultDeadlineMarginMs,
    ReasoningEffort ReasoningEffort = ReasoningEffort.None,
    bool PromptCache = true,
    int MaxToolRounds = FunctionSettings.DefaultMaxToolRounds,
    int ToolTimeoutSeconds = FunctionSettings.DefaultToolTimeoutSeconds,
    int HeartbeatSeconds = 0,
    int StartStreamAfterSeconds = 0,
    string? CorsAllowOrigin = null)
{
    /// <summary>How long before Lambda's deadline the answer is cut off.</summary>
    public TimeSpan DeadlineMargin => TimeSpan.FromMilliseconds(DeadlineMarginMs);

    /// <summary>How long one tool call may run.</summary>
    public TimeSpan ToolTimeout => TimeSpan.FromSeconds(ToolTimeoutSeconds);

    /// <summary>Silence after which a started answer gets a heartbeat; zero: never.</summary>
    public TimeSpan Heartbeat => TimeSpan.FromSeconds(HeartbeatSeconds);

    /// <summary>How long the model may take to start before the answer starts without it; zero: it waits for the model.</summary>
    public TimeSpan StartStreamAfter => TimeSpan.FromSeconds(StartStreamAfterSeconds);

    public const int DefaultMaxToolRounds = 5;
    public const int DefaultToolTimeoutSeconds = 10;

    public const int DefaultMaxTokens = 1024;
    public const int MaxTokensLimit = 65536;
    public const int DefaultMaxRequestBytes = 65536;
    public const int MaxRequestBytesLimit = 6 * 1024 * 1024;
    public const int DefaultDeadlineMarginMs = 1000;
    public const int MaxDeadlineMarginMs = 60000;

    /// <summary>Reads the settings from the process environment.</summary>
    /// <exception cref="ConfigurationException">A variable is missing or out of range.</exception>
    public static FunctionSettings FromEnvironment() => FromLookup(Environment.GetEnvironmentVariable);

    /// <summary>Reads the settings from a dictionary of variables (for tests).</summary>
    public static FunctionSettings FromDictionary(IReadOnlyDictionary<string, string?> variables) =>
        FromLookup(name => variables.TryGetValue(name, out var value) ? value : null);

    /// <summary>Reads the settings through <paramref name="lookup"/> (variable name to value, null when unset).</summary>
    public static FunctionSettings FromLookup(Func<string, string?> lookup)
    {
        string Get(string name) => lookup(name)?.Trim() ?? "";

        var modelId = Get("MODEL_ID");
        if (modelId.Length == 0)
            throw new ConfigurationException("MODEL_ID is required: a Bedrock model id, inference-profile id or ARN (e.g. us.amazon.nova-2-lite-v1:0).");

        var format = Get("RESPONSE_FORMAT").ToLowerInvariant() switch
        {
            "" or "sse" => ResponseFormat.Sse,
            "text" => ResponseFormat.Text,
            "openai" => ResponseFormat.OpenAi,
            var other => throw new ConfigurationException($"RESPONSE_FORMAT must be 'sse', 'text' or 'openai' (got '{other}')."),
        };
        int heartbeat = Int(Get("HEARTBEAT_SECONDS"), "HEARTBEAT_SECONDS", 0, 900, 0);
        int startStreamAfter = Int(Get("START_STREAM_AFTER_SECONDS"), "START_STREAM_AFTER_SECONDS", 0, 900, 0);
        // A heartbeat is an SSE comment line; plain text has no such thing, and anything written would be answer text.
        if (format == ResponseFormat.Text && (heartbeat > 0 || startStreamAfter > 0))
            throw new ConfigurationException("HEARTBEAT_SECONDS and START_STREAM_AFTER_SECONDS need RESPONSE_FORMAT sse: plain text cannot carry a heartbeat.");

        return new FunctionSettings(
            ModelId: modelId,
            MaxTokens: Int(Get("MAX_TOKENS"), "MAX_TOKENS", 1, MaxTokensLimit, DefaultMaxTokens),
            SystemPrompt: lookup("SYSTEM_PROMPT") is { Length: > 0 } system && !string.IsNullOrWhiteSpace(system) ? system : null,
            Format: format,
            MaxRequestBytes: Int(Get("MAX_REQUEST_BYTES"), "MAX_REQUEST_BYTES", 1, MaxRequestBytesLimit, DefaultMaxRequestBytes),
            LogContent: Get("LOG_CONTENT").ToLowerInvariant() switch
            {
                "" or "false" => false,
                "true" => true,
                var other => throw new ConfigurationException($"LOG_CONTENT must be 'true' or 'false' (got '{other}')."),
            },
            DeadlineMarginMs: Int(Get("DEADLINE_MARGIN_MS"), "DEADLINE_MARGIN_MS", 0, MaxDeadlineMarginMs, DefaultDeadlineMarginMs),
            ReasoningEffort: Get("REASONING_EFFORT").ToLowerInvariant() switch
            {
                "" => ReasoningEffort.None,
                var name when Effort(name) is { } effort => effort,
                var other => throw new ConfigurationException($"REASONING_EFFORT must be 'off', 'low', 'medium' or 'high' (got '{other}')."),
            },
            PromptCache: Get("PROMPT_CACHE").ToLowerInvariant() switch
            {
                "" or "true" => true,
                "false" => false,
                var other => throw new ConfigurationException($"PROMPT_CACHE must be 'true' or 'false' (got '{other}')."),
            },
            MaxToolRounds: Int(Get("MAX_TOOL_ROUNDS"), "MAX_TOOL_ROUNDS", 1, 50, DefaultMaxToolRounds),
            ToolTimeoutSeconds: Int(Get("TOOL_TIMEOUT_SECONDS"), "TOOL_TIMEOUT_SECONDS", 1, 900, DefaultToolTimeoutSeconds),
            HeartbeatSeconds: heartbeat,
            StartStreamAfterSeconds: startStreamAfter,
            CorsAllowOrigin: Origin(Get("CORS_ALLOW_ORIGIN")));
    }

    /// <summary>A reasoning effort by its name in settings and requests: <c>off</c>, <c>low</c>, <c>medium</c>, <c>high</c>.</summary>
    public static ReasoningEffort? Effort(string? name) => name switch
    {
        "off" => Microsoft.Extensions.AI.ReasoningEffort.None,
        "low" => Microsoft.Extensions.AI.ReasoningEffort.Low,
        "medium" => Microsoft.Extensions.AI.ReasoningEffort.Medium,
        "high" => Microsoft.Extensions.AI.ReasoningEffort.High,
        _ => null,
    };

    /// <summary>An origin (<c>scheme://host[:port]</c>) or <c>*</c>; empty: none. It becomes a response header, so nothing else gets through.</summary>
    private static string? Origin(string text)
    {
        if (text.Length == 0)
            return null;
        if (text == "*" || (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"
                && text.TrimEnd('/') == uri.GetLeftPart(UriPartial.Authority)))
            return text.TrimEnd('/');
        throw new ConfigurationException($"CORS_ALLOW_ORIGIN must be an origin such as https://app.example.com, or * (got '{text}').");
    }

    private static int Int(string text, string name, int min, int max, int defaultValue)
    {
        if (text.Length == 0)
            return defaultValue;
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            return value;
        throw new ConfigurationException($"{name} must be an integer from {min} to {max} (got '{text}').");
    }
}
