using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function;

/// <summary>A request to answer: the conversation for the model (system prompt first, the user's turn last) and the caller's limits.</summary>
/// <param name="Messages">Microsoft.Extensions.AI messages, as any <see cref="IChatClient"/> takes them.</param>
/// <param name="MaxTokens">Upper bound on the answer's length (at most <c>MAX_TOKENS</c>).</param>
/// <param name="Temperature">Sent to the model only when the caller set it (some models reject it).</param>
/// <param name="Reasoning">The reasoning effort the caller asked for (<c>off</c>, <c>low</c>, …), if any; it can only lower <c>REASONING_EFFORT</c>.</param>
public sealed record ChatRequest(IList<ChatMessage> Messages, int MaxTokens, float? Temperature = null, ReasoningEffort? Reasoning = null)
{
    /// <summary>Sent to the model only when the caller set it.</summary>
    public float? TopP { get; init; }

    /// <summary>Sequences that end the answer when the model writes them.</summary>
    public IList<string>? StopSequences { get; init; }

    /// <summary>The tools offered for this request; null: the function's own (<c>Tools/</c>).</summary>
    public IList<AITool>? Tools { get; init; }

    /// <summary>Whether (and which) tool the model must call; null: the model chooses.</summary>
    public ChatToolMode? ToolMode { get; init; }
}

/// <summary>
/// Turns an HTTP request event (a Function URL's or a REST API's, see <see cref="HttpRequestEvent"/>) into a
/// <see cref="ChatRequest"/>, or into the client error to answer with.
/// POST with a JSON body (<c>application/json</c>, or no Content-Type and a body starting with <c>{</c>)
/// or a <c>text/plain</c> body (the prompt); GET with <c>?prompt=</c>; OPTIONS is a CORS preflight when
/// <c>CORS_ALLOW_ORIGIN</c> is set. Any other method is 405.
/// </summary>
public sealed class ChatRequestParser(FunctionSettings settings)
{
    /// <summary>Parses <paramref name="payload"/>, the event JSON of one invocation.</summary>
    public bool TryParse(
        ReadOnlySpan<byte> payload,
        [NotNullWhen(true)] out ChatRequest? request,
        [NotNullWhen(false)] out HttpError? error)
    {
        request = null;
        var httpRequest = ReadEvent(payload);
        error = httpRequest?.Method switch
        {
            null => HttpError.InvalidRequest("The event is not an HTTP request (a Function URL or REST API event)."),
            "GET" => FromQuery(httpRequest, out request),
            "POST" => FromBody(httpRequest, out request),
            "OPTIONS" when settings.CorsAllowOrigin is not null => HttpError.CorsPreflight(),
            var method => HttpError.MethodNotAllowed(method),
        };
        return error is null;
    }

    /// <summary>The HTTP request in an invocation's event, or null when the event is not one.</summary>
    internal static HttpRequestEvent? ReadEvent(ReadOnlySpan<byte> payload)
    {
        try
        {
            return JsonSerializer.Deserialize(payload, RequestJsonContext.Default.HttpRequestEvent);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private HttpError? FromQuery(HttpRequestEvent httpRequest, out ChatRequest? request)
    {
        request = null;
        var prompt = httpRequest.Query("prompt");
        if (prompt is null)
            return HttpError.InvalidRequest("A GET request needs the prompt in the query: ?prompt=...");
        if (Encoding.UTF8.GetByteCount(prompt) > settings.MaxRequestBytes)
            return HttpError.PayloadTooLarge(settings.MaxRequestBytes);
        return Build(prompt, null, null, null, null, null, out request);
    }

    private HttpError? FromBody(HttpRequestEvent httpRequest, out ChatRequest? request)
    {
        request = null;
        if (string.IsNullOrEmpty(httpRequest.Body))
            return HttpError.InvalidRequest("The request body is empty: send {\"prompt\":\"...\"} or a text/plain prompt.");

        byte[]? rented = null;
        try
        {
            if (ReadBody(httpRequest, settings.MaxRequestBytes, out rented, out int length) is { } invalid)
                return invalid;

            var bytes = rented.AsSpan(0, length);
            var mediaType = MediaType(httpRequest.Header("content-type"));
            if (mediaType == "text/plain")
                return Build(Encoding.UTF8.GetString(bytes), null, null, null, null, null, out request);

            bool isJsonType = mediaType.Length == 0 || mediaType == "application/json" || mediaType.EndsWith("+json", StringComparison.Ordinal);
            bool looksLikeObject = bytes.TrimStart(" \t\r\n"u8) is [(byte)'{', ..];
            if (!isJsonType && !looksLikeObject)
                return HttpError.UnsupportedMediaType(mediaType);
            if (!looksLikeObject)
                return HttpError.InvalidRequest("The request body must be a JSON object: {\"prompt\":\"...\"}.");

            ChatRequestBody? json;
            try
            {
                json = JsonSerializer.Deserialize(bytes, RequestJsonContext.Default.ChatRequestBody);
            }
            catch (JsonException e)
            {
                return HttpError.InvalidRequest(e.Path is null or "$"
                    ? "The request body is not valid JSON."
                    : $"The request body is not valid: {e.Path} is malformed or has the wrong type.");
            }
            return Build(json!.Prompt, json.Messages, json.System, json.MaxTokens, json.Temperature, json.Reasoning, out request);
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// The request's body as UTF-8 bytes in <paramref name="rented"/> (from <see cref="ArrayPool{T}.Shared"/>: return it),
    /// base64 decoded when the event says so; or the error when it is larger than <paramref name="maxBytes"/> once
    /// decoded, not valid base64, or not valid UTF-8.
    /// </summary>
    internal static HttpError? ReadBody(HttpRequestEvent httpRequest, int maxBytes, out byte[]? rented, out int length)
    {
        rented = null;
        length = 0;
        var body = httpRequest.Body ?? "";

        // The limit applies to the decoded body; check it before allocating anything.
        int size = httpRequest.IsBase64Encoded ? Base64DecodedLength(body) : Encoding.UTF8.GetByteCount(body);
        if (size > maxBytes)
            return HttpError.PayloadTooLarge(maxBytes);

        rented = ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
        if (!httpRequest.IsBase64Encoded)
            length = Encoding.UTF8.GetBytes(body, rented);
        else if (!Convert.TryFromBase64String(body, rented.AsSpan(0, size), out length))
            return HttpError.InvalidRequest("The request body is not valid base64.");

        return Utf8.IsValid(rented.AsSpan(0, length)) ? null : HttpError.InvalidRequest("The request body is not valid UTF-8.");
    }

    private HttpError? Build(string? prompt, List<ChatRequestMessage?>? messages, string? system, int? maxTokens, double? temperature, string? reasoning, out ChatRequest? request)
    {
        request = null;
        var turns = new List<ChatMessage>((messages?.Count ?? 0) + 2);
        string? systemPrompt = string.IsNullOrWhiteSpace(system) ? settings.SystemPrompt : system;
        if (systemPrompt is not null)
            turns.Add(new ChatMessage(ChatRole.System, systemPrompt));

        for (int i = 0; i < (messages?.Count ?? 0); i++)
        {
            var message = messages![i];
            if (message is null)
                return HttpError.InvalidRequest($"messages[{i}] must be an object {{\"role\",\"content\"}}.");
            if (message.Role is not ("user" or "assistant"))
                return HttpError.InvalidRequest($"messages[{i}].role must be \"user\" or \"assistant\".");
            if (string.IsNullOrWhiteSpace(message.Content))
                return HttpError.InvalidRequest($"messages[{i}].content must be a non-empty string.");
            turns.Add(new ChatMessage(message.Role == "user" ? ChatRole.User : ChatRole.Assistant, message.Content));
        }

        if (prompt is not null)
        {
            if (string.IsNullOrWhiteSpace(prompt))
                return HttpError.InvalidRequest("The prompt is empty.");
            turns.Add(new ChatMessage(ChatRole.User, prompt));
        }

        if (turns.Count == 0 || turns[^1].Role == ChatRole.System)
            return HttpError.InvalidRequest("A prompt is required: {\"prompt\":\"...\"} or messages ending with a user turn.");
        if (turns[^1].Role != ChatRole.User)
            return HttpError.InvalidRequest("The conversation must end with a user turn.");
        if (maxTokens is { } n && (n < 1 || n > settings.MaxTokens))
            return HttpError.InvalidRequest($"maxTokens must be from 1 to {settings.MaxTokens}.");
        if (temperature is { } t && !(t >= 0 && t <= 1))
            return HttpError.InvalidRequest("temperature must be from 0 to 1.");
        ReasoningEffort? effort = FunctionSettings.Effort(reasoning);
        if (reasoning is not null && effort is null)
            return HttpError.InvalidRequest("reasoning must be \"off\", \"low\", \"medium\" or \"high\".");

        request = new ChatRequest(turns, maxTokens ?? settings.MaxTokens, (float?)temperature, effort);
        return null;
    }

    /// <summary>The decoded length of a well-formed base64 string (an estimate for a malformed one, which fails to decode later).</summary>
    private static int Base64DecodedLength(string base64)
    {
        var s = base64.AsSpan().TrimEnd();
        int padding = s.EndsWith("==") ? 2 : s.EndsWith("=") ? 1 : 0;
        return Math.Max(0, (int)((long)s.Length * 3 / 4) - padding);
    }

    internal static string MediaType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
            return "";
        int semicolon = contentType.IndexOf(';');
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim().ToLowerInvariant();
    }
}
