using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.OpenAi;

/// <summary>A parsed Chat Completions request: the conversation for the model, and how the client wants the answer.</summary>
/// <param name="Stream"><c>stream</c>: chunks as the model writes (true), or one <c>chat.completion</c> at the end (false, OpenAI's default).</param>
/// <param name="IncludeUsage"><c>stream_options.include_usage</c>: a last chunk with the token usage.</param>
internal sealed record OpenAiCall(ChatRequest Request, bool Stream, bool IncludeUsage);

/// <summary>
/// Reads a Chat Completions request (https://platform.openai.com/docs/api-reference/chat/create) into a
/// <see cref="ChatRequest"/>: <c>system</c>/<c>developer</c>, <c>user</c>, <c>assistant</c> (with <c>tool_calls</c>) and
/// <c>tool</c> messages whose content is a string or text parts; <c>max_completion_tokens</c>/<c>max_tokens</c> (capped
/// by <c>MAX_TOKENS</c>), <c>temperature</c>, <c>top_p</c>, <c>stop</c>; the client's <c>tools</c> as declarations only
/// (the client runs them: their calls go back to it); <c>tool_choice</c>; <c>reasoning_effort</c> (it can only lower
/// <c>REASONING_EFFORT</c>). <c>model</c> is accepted, and the function's own model answers. Unknown fields are
/// ignored; a field of the wrong type or value is a 400 that names it.
/// </summary>
internal sealed class OpenAiRequestParser(FunctionSettings settings)
{
    public bool TryParse(ReadOnlySpan<byte> body, [NotNullWhen(true)] out OpenAiCall? call, [NotNullWhen(false)] out HttpError? error)
    {
        call = null;
        OpenAiChatRequest? json;
        try
        {
            json = JsonSerializer.Deserialize(body, OpenAiJsonContext.Default.OpenAiChatRequest);
        }
        catch (JsonException e)
        {
            var param = e.Path is null or "$" ? null : e.Path.TrimStart('$', '.');
            error = param is null
                ? Invalid("The request body is not a valid JSON object.", null)
                : Invalid($"Invalid type for '{param}': the value is malformed or has the wrong type.", param);
            return false;
        }

        if (json is null)
        {
            error = Invalid("The request body must be a JSON object.", null);
            return false;
        }

        error = Build(json, out call);
        return error is null;
    }

    private HttpError? Build(OpenAiChatRequest json, out OpenAiCall? call)
    {
        call = null;
        if (json.N is { } n && n != 1)
            return Invalid("Only n = 1 is supported: this endpoint returns one choice.", "n");
        if (json.ResponseFormat?.Type is { } format && format != "text")
            return Invalid($"response_format '{format}' is not supported: only text answers.", "response_format.type");
        if ((json.MaxCompletionTokens ?? json.MaxTokens) is { } max && max < 1)
            return Invalid("The maximum number of tokens must be at least 1.", json.MaxCompletionTokens is null ? "max_tokens" : "max_completion_tokens");
        if (json.Temperature is { } t && !(t >= 0 && t <= 2))
            return Invalid("temperature must be from 0 to 2.", "temperature");
        if (json.TopP is { } p && !(p >= 0 && p <= 1))
            return Invalid("top_p must be from 0 to 1.", "top_p");

        ReasoningEffort? effort = null;
        if (json.ReasoningEffort is { } asked && (effort = Effort(asked)) is null)
            return Invalid($"reasoning_effort '{asked}' is not one of none, minimal, low, medium, high.", "reasoning_effort");

        if (Messages(json.Messages, out var messages) is { } invalidMessage)
            return invalidMessage;
        if (Stop(json.Stop, out var stop) is { } invalidStop)
            return invalidStop;
        if (Tools(json.Tools, out var tools) is { } invalidTools)
            return invalidTools;
        if (ToolMode(json.ToolChoice, tools, out var toolMode) is { } invalidChoice)
            return invalidChoice;

        // tool_choice "none": Bedrock has no such choice, so the tools are left out, unless the conversation already
        // used them (Bedrock then needs their definitions).
        if (toolMode == ChatToolMode.None && !messages.Any(m => m.Contents.Any(c => c is FunctionCallContent or FunctionResultContent)))
            tools = [];

        var request = new ChatRequest(messages, Math.Min(json.MaxCompletionTokens ?? json.MaxTokens ?? settings.MaxTokens, settings.MaxTokens), (float?)json.Temperature, effort)
        {
            TopP = (float?)json.TopP,
            StopSequences = stop,
            Tools = tools,
            ToolMode = toolMode == ChatToolMode.None ? null : toolMode,
        };
        call = new OpenAiCall(request, json.Stream ?? false, json.StreamOptions?.IncludeUsage ?? false);
        return null;
    }

    /// <summary>
    /// The conversation: system and developer messages first (Bedrock takes them apart), then the turns, where
    /// consecutive user and tool messages (and consecutive assistant messages) become one turn, because Bedrock wants
    /// user and assistant turns to alternate and all results of a tool round in one turn.
    /// </summary>
    private HttpError? Messages(List<OpenAiMessage?>? messages, out List<ChatMessage> conversation)
    {
        conversation = [];
        if (messages is not { Count: > 0 })
            return Invalid("messages must be a non-empty array.", "messages");

        var system = new List<ChatMessage>();
        var turns = new List<ChatMessage>();
        for (int i = 0; i < messages.Count; i++)
        {
            string at = $"messages[{i}]";
            if (messages[i] is not { } message)
                return Invalid($"{at} must be an object with a role.", at);

            ChatMessage? turn;
            HttpError? invalid = message.Role switch
            {
                "system" or "developer" => SystemMessage(message, at, out turn),
                "user" => UserMessage(message, at, out turn),
                "assistant" => AssistantMessage(message, at, out turn),
                "tool" => ToolMessage(message, at, out turn),
                _ => Unknown(out turn),
            };
            HttpError Unknown(out ChatMessage? none)
            {
                none = null;
                return Invalid($"{at}.role must be one of system, developer, user, assistant, tool.", at + ".role");
            }

            if (invalid is not null)
                return invalid;
            if (turn!.Role == ChatRole.System)
                system.Add(turn);
            else if (turns.Count > 0 && (turns[^1].Role == ChatRole.Assistant) == (turn.Role == ChatRole.Assistant))
                turns[^1] = new ChatMessage(turns[^1].Role, [.. turns[^1].Contents, .. turn.Contents]);
            else
                turns.Add(turn);
        }

        if (turns.Count == 0)
            return Invalid("messages must include a user message.", "messages");
        if (turns[^1].Role == ChatRole.Assistant)
            return Invalid("The last message must be a user or tool message: this endpoint does not continue an assistant message.", "messages");

        if (system.Count == 0 && settings.SystemPrompt is { } prompt)
            system.Add(new ChatMessage(ChatRole.System, prompt));
        conversation = [.. system, .. turns];
        return null;
    }

    private static HttpError? SystemMessage(OpenAiMessage message, string at, out ChatMessage? turn)
    {
        turn = null;
        if (Text(message.Content, at, out var parts) is { } invalid)
            return invalid;
        turn = new ChatMessage(ChatRole.System, string.Join("\n", parts));
        return null;
    }

    private static HttpError? UserMessage(OpenAiMessage message, string at, out ChatMessage? turn)
    {
        turn = null;
        if (Text(message.Content, at, out var parts) is { } invalid)
            return invalid;
        if (parts.All(string.IsNullOrWhiteSpace))
            return Invalid($"{at}.content must not be empty.", at + ".content");
        turn = new ChatMessage(ChatRole.User, [.. parts.Select(p => new TextContent(p))]);
        return null;
    }

    private static HttpError? AssistantMessage(OpenAiMessage message, string at, out ChatMessage? turn)
    {
        turn = null;
        List<string> parts = [];
        if (message.Content is { ValueKind: not JsonValueKind.Null } && Text(message.Content, at, out parts) is { } invalid)
            return invalid;

        var contents = new List<AIContent>();
        contents.AddRange(parts.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => new TextContent(p)));
        for (int j = 0; j < (message.ToolCalls?.Count ?? 0); j++)
        {
            string callAt = $"{at}.tool_calls[{j}]";
            if (message.ToolCalls![j] is not { Id.Length: > 0, Function.Name.Length: > 0 } call)
                return Invalid($"{callAt} needs an id and a function name.", callAt);
            if (call.Type is not (null or "function"))
                return Invalid($"{callAt}.type must be \"function\".", callAt + ".type");
            if (Arguments(call.Function.Arguments) is not { } arguments)
                return Invalid($"{callAt}.function.arguments must be a JSON object, as a string.", callAt + ".function.arguments");
            contents.Add(new FunctionCallContent(call.Id, call.Function.Name, arguments));
        }

        if (contents.Count == 0)
            return Invalid($"{at} has neither content nor tool_calls.", at + ".content");
        turn = new ChatMessage(ChatRole.Assistant, contents);
        return null;
    }

    private static HttpError? ToolMessage(OpenAiMessage message, string at, out ChatMessage? turn)
    {
        turn = null;
        if (string.IsNullOrEmpty(message.ToolCallId))
            return Invalid($"{at}.tool_call_id is required: the id of the tool call this message answers.", at + ".tool_call_id");
        if (Text(message.Content, at, out var parts) is { } invalid)
            return invalid;
        turn = new ChatMessage(ChatRole.Tool, [new FunctionResultContent(message.ToolCallId, string.Concat(parts))]);
        return null;
    }

    /// <summary>A message's text: a string, or an array of <c>{"type":"text","text":…}</c> parts. Images, audio and files are refused.</summary>
    private static HttpError? Text(JsonElement? content, string at, out List<string> parts)
    {
        parts = [];
        switch (content)
        {
            case { ValueKind: JsonValueKind.String } text:
                parts.Add(text.GetString()!);
                return null;
            case { ValueKind: JsonValueKind.Array } array:
                int j = 0;
                foreach (var part in array.EnumerateArray())
                {
                    string partAt = $"{at}.content[{j++}]";
                    string? type = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type"u8, out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                    if (type is "text" or "refusal" && part.TryGetProperty(type, out var value) && value.ValueKind == JsonValueKind.String)
                        parts.Add(value.GetString()!);
                    else if (type is "image_url" or "input_audio" or "file")
                        return Invalid($"{partAt}: {type} content is not supported by this endpoint, only text.", partAt + ".type");
                    else
                        return Invalid($"{partAt} must be a text part: {{\"type\":\"text\",\"text\":\"...\"}}.", partAt);
                }
                return null;
            default:
                return Invalid($"{at}.content must be a string or an array of text parts.", at + ".content");
        }
    }

    /// <summary>A tool call's arguments (a JSON object as text; empty means none), its values <see cref="JsonElement"/>s.</summary>
    private static Dictionary<string, object?>? Arguments(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
            return [];
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return null;
            return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone());
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static HttpError? Stop(JsonElement? stop, out List<string>? sequences)
    {
        sequences = null;
        switch (stop)
        {
            case null or { ValueKind: JsonValueKind.Null }:
                return null;
            case { ValueKind: JsonValueKind.String } one:
                sequences = [one.GetString()!];
                break;
            case { ValueKind: JsonValueKind.Array } many when many.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String):
                sequences = [.. many.EnumerateArray().Select(s => s.GetString()!)];
                break;
            default:
                return Invalid("stop must be a string or an array of strings.", "stop");
        }

        sequences.RemoveAll(s => s.Length == 0);
        if (sequences.Count == 0)
            sequences = null;
        return null;
    }

    /// <summary>The client's function tools, as declarations: the model may call them, the function never runs them.</summary>
    private static HttpError? Tools(List<OpenAiTool?>? tools, out List<AITool> declarations)
    {
        declarations = [];
        for (int i = 0; i < (tools?.Count ?? 0); i++)
        {
            string at = $"tools[{i}]";
            if (tools![i] is not { } tool || tool.Type != "function")
                return Invalid($"{at} must be a function tool: {{\"type\":\"function\",\"function\":{{\"name\",\"parameters\"}}}}.", at + ".type");
            if (tool.Function is not { Name.Length: > 0 } function)
                return Invalid($"{at}.function.name is required.", at + ".function.name");
            if (function.Parameters is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) })
                return Invalid($"{at}.function.parameters must be a JSON schema object.", at + ".function.parameters");
            var schema = function.Parameters is { ValueKind: JsonValueKind.Object } parameters ? parameters : EmptySchema;
            declarations.Add(AIFunctionFactory.CreateDeclaration(function.Name, function.Description, schema));
        }

        return null;
    }

    private static readonly JsonElement EmptySchema = JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement.Clone();

    /// <summary><c>tool_choice</c>: <c>"auto"</c>, <c>"none"</c>, <c>"required"</c>, or <c>{"type":"function","function":{"name"}}</c>.</summary>
    private static HttpError? ToolMode(JsonElement? choice, List<AITool> tools, out ChatToolMode? mode)
    {
        mode = null;
        switch (choice)
        {
            case null or { ValueKind: JsonValueKind.Null }:
                return null;
            case { ValueKind: JsonValueKind.String } named when named.ValueEquals("auto"u8):
                mode = ChatToolMode.Auto;
                return null;
            case { ValueKind: JsonValueKind.String } named when named.ValueEquals("none"u8):
                mode = ChatToolMode.None;
                return null;
            case { ValueKind: JsonValueKind.String } named when named.ValueEquals("required"u8):
                mode = ChatToolMode.RequireAny;
                break;
            case { ValueKind: JsonValueKind.Object } one when one.TryGetProperty("function"u8, out var function)
                && function.ValueKind == JsonValueKind.Object && function.TryGetProperty("name"u8, out var name) && name.ValueKind == JsonValueKind.String:
                string toolName = name.GetString()!;
                if (!tools.Any(t => t.Name == toolName))
                    return Invalid($"tool_choice names '{toolName}', which is not in tools.", "tool_choice");
                mode = ChatToolMode.RequireSpecific(toolName);
                break;
            default:
                return Invalid("tool_choice must be \"none\", \"auto\", \"required\" or {\"type\":\"function\",\"function\":{\"name\":...}}.", "tool_choice");
        }

        return tools.Count == 0 ? Invalid("tool_choice requires tools.", "tool_choice") : null;
    }

    /// <summary>OpenAI's reasoning efforts: <c>minimal</c> is the lowest this function has (<c>low</c>), <c>xhigh</c> the highest.</summary>
    private static ReasoningEffort? Effort(string name) => name switch
    {
        "none" => ReasoningEffort.None,
        "minimal" or "low" => ReasoningEffort.Low,
        "medium" => ReasoningEffort.Medium,
        "high" or "xhigh" => ReasoningEffort.High,
        _ => null,
    };

    private static HttpError Invalid(string message, string? param) => HttpError.InvalidRequest(message) with { Param = param };
}
