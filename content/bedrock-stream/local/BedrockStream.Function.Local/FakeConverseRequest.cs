using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace BedrockStream.Function.Local;

/// <summary>One content block of a conversation turn, as the fake model reads it.</summary>
/// <param name="Kind"><c>text</c>, <c>reasoning</c>, <c>redacted</c>, <c>toolUse</c>, <c>toolResult</c> or <c>cachePoint</c>.</param>
public sealed record FakeBlock(string Kind, string? Text = null, string? Signature = null, string? ToolUseId = null, string? Name = null, string? Input = null, string? Status = null);

/// <summary>One turn of the conversation: <c>user</c> or <c>assistant</c>, and its blocks.</summary>
public sealed record FakeTurn(string Role, IReadOnlyList<FakeBlock> Blocks);

/// <summary>Why Bedrock would refuse a request: the HTTP status, its error code and message.</summary>
public sealed record FakeRejection(int Status, string Code, string Message)
{
    public static FakeRejection Validation(string message) => new(400, "ValidationException", message);
}

/// <summary>
/// The parts of a ConverseStream request the fake model reads, checked the way Bedrock checks them, so that a
/// request Bedrock would reject is rejected locally too (with a <c>ValidationException</c>):
/// <list type="bullet">
/// <item>a conversation must end with a user turn; <c>toolUse</c>/<c>toolResult</c> blocks need a <c>toolConfig</c>,
/// and each tool result must answer a tool use of the turn before;</item>
/// <item>reasoning sent back in an assistant turn must carry the signature the model gave it (Claude rejects a
/// tool-loop turn whose reasoning was altered or lost its signature);</item>
/// <item>prompt-cache points only for the families that cache (Claude, Amazon Nova; others answer 403), and among the
/// tools only for Claude;</item>
/// <item>each family's own reasoning field only (<c>thinking</c> for Claude, <c>reasoningConfig</c> for Nova 2,
/// <c>reasoning_effort</c> for gpt-oss); Claude's thinking budget at least 1,024 tokens and below <c>maxTokens</c>,
/// without temperature; Nova 2's high effort without <c>maxTokens</c>, temperature or topP;</item>
/// <item>no reasoning with a signature sent back to gpt-oss; no tools in a stream for DeepSeek-R1 and Llama 4;
/// not both temperature and topP for the Claude 4.5 and 4.6 models.</item>
/// </list>
/// Request shape: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
/// </summary>
public sealed class FakeConverseRequest
{
    // The fake's own secret for reasoning signatures: a signature proves the text came from this fake, unchanged.
    private static readonly byte[] SigningKey = "bedrock-stream local fake model"u8.ToArray();

    private FakeConverseRequest(string modelId) => ModelId = modelId;

    public string ModelId { get; }

    public IReadOnlyList<FakeTurn> Messages { get; private set; } = [];

    /// <summary>The text of the last user turn (empty when that turn carries only tool results).</summary>
    public string Prompt { get; private set; } = "";

    /// <summary>The text of the first user turn: where the directives of a tool loop stay in force.</summary>
    public string FirstPrompt { get; private set; } = "";

    /// <summary>The tool results of the last user turn (a tool-loop continuation), if any.</summary>
    public IReadOnlyList<FakeBlock> ToolResults => Messages.Count == 0 ? [] : [.. Messages[^1].Blocks.Where(b => b.Kind == "toolResult")];

    /// <summary>Tool uses of the whole conversation so far (the number of tool rounds already made).</summary>
    public int ToolRounds => Messages.Count(m => m.Role == "assistant" && m.Blocks.Any(b => b.Kind == "toolUse"));

    public IReadOnlyList<string> System { get; private set; } = [];

    public bool SystemCachePoint { get; private set; }

    public IReadOnlyList<string> ToolNames { get; private set; } = [];

    public bool ToolsCachePoint { get; private set; }

    public int? MaxTokens { get; private set; }

    public double? Temperature { get; private set; }

    /// <summary>True when the request switches reasoning on (Claude <c>thinking</c>, Nova <c>reasoningConfig</c>, gpt-oss <c>reasoning_effort</c>).</summary>
    public bool ReasoningRequested { get; private set; }

    /// <summary>The request's <c>additionalModelRequestFields</c> as JSON, or null.</summary>
    public string? AdditionalModelRequestFields { get; private set; }

    /// <summary>The model id without an ARN or an inference-profile prefix.</summary>
    public string BaseId => Base(ModelId);

    /// <summary>The model family from the model id: <c>anthropic</c>, <c>amazon</c>, <c>deepseek</c>, <c>openai</c>, <c>meta</c>, …</summary>
    public string Family => BaseId.Split('.')[0];

    /// <summary>The signature the fake gives <paramref name="reasoning"/> (and expects back with it).</summary>
    public static string Sign(string reasoning) => Convert.ToBase64String(HMACSHA256.HashData(SigningKey, Encoding.UTF8.GetBytes(reasoning)));

    public double? TopP { get; private set; }

    /// <summary>Parses and checks <paramref name="body"/>; on failure <paramref name="rejection"/> is what Bedrock would answer.</summary>
    public static bool TryParse(byte[] body, string modelId, out FakeConverseRequest request, out FakeRejection? rejection)
    {
        request = new FakeConverseRequest(modelId);
        try
        {
            using var document = JsonDocument.Parse(body);
            rejection = request.Read(document.RootElement) is { } error ? FakeRejection.Validation(error) : request.Check();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            rejection = FakeRejection.Validation("Malformed input request, please reformat your input and try again.");
        }

        return rejection is null;
    }

    private string? Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
            return "1 validation error detected: Value at 'messages' failed to satisfy constraint: Member must not be null";

        Messages = [.. messages.EnumerateArray().Select(m => new FakeTurn(m.GetProperty("role").GetString()!, [.. m.GetProperty("content").EnumerateArray().Select(ReadBlock)]))];
        if (root.TryGetProperty("system", out var system))
        {
            System = [.. system.EnumerateArray().Where(b => b.TryGetProperty("text", out _)).Select(b => b.GetProperty("text").GetString()!)];
            SystemCachePoint = system.EnumerateArray().Any(b => b.TryGetProperty("cachePoint", out _));
        }

        if (root.TryGetProperty("toolConfig", out var toolConfig) && toolConfig.TryGetProperty("tools", out var tools))
        {
            ToolNames = [.. tools.EnumerateArray().Where(t => t.TryGetProperty("toolSpec", out _)).Select(t => t.GetProperty("toolSpec").GetProperty("name").GetString()!)];
            ToolsCachePoint = tools.EnumerateArray().Any(t => t.TryGetProperty("cachePoint", out _));
        }

        if (root.TryGetProperty("inferenceConfig", out var config))
        {
            if (config.TryGetProperty("maxTokens", out var max)) MaxTokens = max.GetInt32();
            if (config.TryGetProperty("temperature", out var temperature)) Temperature = temperature.GetDouble();
            if (config.TryGetProperty("topP", out var topP)) TopP = topP.GetDouble();
        }

        if (root.TryGetProperty("additionalModelRequestFields", out var fields) && fields.ValueKind == JsonValueKind.Object)
        {
            AdditionalModelRequestFields = fields.GetRawText();
            ReasoningRequested =
                (fields.TryGetProperty("thinking", out var thinking) && thinking.TryGetProperty("type", out var type) && type.GetString() is "enabled" or "adaptive")
                || (fields.TryGetProperty("reasoningConfig", out var nova) && nova.TryGetProperty("type", out var novaType) && novaType.GetString() == "enabled")
                || (fields.TryGetProperty("reasoning_effort", out var effort) && effort.GetString() is { Length: > 0 });
        }

        var lastUser = Messages[^1];
        Prompt = string.Join("\n", lastUser.Blocks.Where(b => b.Kind == "text").Select(b => b.Text));
        FirstPrompt = string.Join("\n", Messages[0].Blocks.Where(b => b.Kind == "text").Select(b => b.Text));
        return null;
    }

    private static FakeBlock ReadBlock(JsonElement block)
    {
        if (block.TryGetProperty("text", out var text)) return new FakeBlock("text", text.GetString());
        if (block.TryGetProperty("cachePoint", out _)) return new FakeBlock("cachePoint");
        if (block.TryGetProperty("reasoningContent", out var reasoning))
        {
            if (reasoning.TryGetProperty("redactedContent", out _)) return new FakeBlock("redacted");
            var reasoningText = reasoning.GetProperty("reasoningText");
            return new FakeBlock("reasoning", reasoningText.GetProperty("text").GetString(),
                reasoningText.TryGetProperty("signature", out var signature) ? signature.GetString() : null);
        }
        if (block.TryGetProperty("toolUse", out var use))
            return new FakeBlock("toolUse", ToolUseId: use.GetProperty("toolUseId").GetString(), Name: use.GetProperty("name").GetString(), Input: use.GetProperty("input").GetRawText());
        if (block.TryGetProperty("toolResult", out var result))
            return new FakeBlock("toolResult", ToolUseId: result.GetProperty("toolUseId").GetString(), Status: result.TryGetProperty("status", out var status) ? status.GetString() : null,
                Text: string.Join("\n", result.GetProperty("content").EnumerateArray().Select(c => c.TryGetProperty("text", out var t) ? t.GetString() : c.GetProperty("json").GetRawText())));
        return new FakeBlock(block.EnumerateObject().FirstOrDefault().Name ?? "unknown");
    }

    private FakeRejection? Check()
    {
        if (Messages[^1].Role != "user")
            return FakeRejection.Validation("A conversation must end with a user message. Try again with a conversation that ends with a user message.");

        bool usesTools = Messages.Any(m => m.Blocks.Any(b => b.Kind is "toolUse" or "toolResult"));
        if (usesTools && ToolNames.Count == 0)
            return FakeRejection.Validation("The toolConfig field must be defined when using toolUse and toolResult content blocks.");
        if (ToolNames.Count > 0 && (BaseId.StartsWith("deepseek.r1", StringComparison.Ordinal) || BaseId.StartsWith("meta.llama4", StringComparison.Ordinal)))
            return FakeRejection.Validation("This model doesn't support tool use in streaming mode.");

        for (int i = 0; i < Messages.Count; i++)
        {
            foreach (var result in Messages[i].Blocks.Where(b => b.Kind == "toolResult"))
            {
                bool answered = i > 0 && Messages[i - 1].Blocks.Any(b => b.Kind == "toolUse" && b.ToolUseId == result.ToolUseId);
                if (!answered)
                    return FakeRejection.Validation($"messages.{i}: toolResult {result.ToolUseId} does not match a toolUse block of the previous turn.");
            }

            foreach (var reasoning in Messages[i].Blocks.Where(b => b.Kind == "reasoning"))
            {
                if (Family == "openai" && reasoning.Signature is not null)
                    return FakeRejection.Validation("This model doesn't support the reasoningContent.reasoningText.signature field. Remove reasoningContent.reasoningText.signature and try again.");
                if (Family == "anthropic" && (reasoning.Signature is null || reasoning.Signature != Sign(reasoning.Text ?? "")))
                    return FakeRejection.Validation($"messages.{i}.content: Invalid `signature` in `thinking` block: reasoning sent back must be unchanged and keep its signature.");
            }
        }

        bool anyCachePoint = SystemCachePoint || ToolsCachePoint || Messages.Any(m => m.Blocks.Any(b => b.Kind == "cachePoint"));
        if (anyCachePoint && Family is not ("anthropic" or "amazon"))
            return new FakeRejection(403, "AccessDeniedException", "You invoked an unsupported model or your request did not allow prompt caching.");
        if (ToolsCachePoint && Family == "amazon")
            return FakeRejection.Validation("Malformed input request: extraneous key [cachePoint] is not permitted in toolConfig.tools for Amazon Nova models.");

        if (Family == "anthropic" && Temperature is not null && TopP is not null && BaseId.Contains("-4-", StringComparison.Ordinal))
            return FakeRejection.Validation("The model returned the following errors: `temperature` and `top_p` cannot both be specified for this model. Please use only one.");

        return AdditionalModelRequestFields is { } json ? CheckAdditionalFields(json) : null;
    }

    // Each family takes its own fields in additionalModelRequestFields; anything else is "extraneous".
    private FakeRejection? CheckAdditionalFields(string json)
    {
        using var document = JsonDocument.Parse(json);
        var fields = document.RootElement;
        string[] allowed = Family switch
        {
            "anthropic" => ["thinking", "output_config", "anthropic_beta", "top_k"],
            "amazon" => BaseId.StartsWith("amazon.nova-2", StringComparison.Ordinal) ? ["reasoningConfig", "inferenceConfig"] : ["inferenceConfig"],
            "openai" => ["reasoning_effort"],
            _ => [],
        };
        foreach (var field in fields.EnumerateObject())
        {
            if (!allowed.Contains(field.Name))
                return FakeRejection.Validation($"Malformed input request: extraneous key [{field.Name}] is not permitted, please reformat your input and try again.");
        }

        if (fields.TryGetProperty("thinking", out var thinking) && thinking.TryGetProperty("budget_tokens", out var budget))
        {
            int tokens = budget.GetInt32();
            if (tokens < 1024)
                return FakeRejection.Validation("thinking.budget_tokens: Input should be greater than or equal to 1024");
            if (MaxTokens is { } max && tokens >= max)
                return FakeRejection.Validation("`max_tokens` must be greater than `thinking.budget_tokens`.");
        }

        if (fields.TryGetProperty("thinking", out _) && ((Temperature is { } t && t != 1) || TopP is not null))
            return FakeRejection.Validation("`temperature` may only be set to 1 when thinking is enabled or in adaptive mode.");

        if (fields.TryGetProperty("reasoningConfig", out var nova) && nova.TryGetProperty("maxReasoningEffort", out var effort) && effort.GetString() == "high"
            && (MaxTokens is not null || Temperature is not null || TopP is not null))
            return FakeRejection.Validation("The model returned the following errors: `maxTokens` must be unset when reasoningConfig type is 'enabled' and maxReasoningEffort is 'high'.");

        return null;
    }

    /// <summary>The model id without an ARN or an inference-profile prefix: <c>us.anthropic.claude-x</c> → <c>anthropic.claude-x</c>.</summary>
    public static string Base(string modelId)
    {
        string id = modelId.Contains('/') ? modelId[(modelId.LastIndexOf('/') + 1)..] : modelId;
        string[] prefixes = ["us.", "eu.", "apac.", "jp.", "au.", "ca.", "us-gov.", "global."];
        foreach (var prefix in prefixes)
            if (id.StartsWith(prefix, StringComparison.Ordinal))
                return id[prefix.Length..];
        return id;
    }
}
