using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace BedrockStream.Function.Local;

/// <summary>One content block of a conversation turn, as the fake model reads it.</summary>
/// <param name="Kind"><c>text</c>, <c>reasoning</c>, <c>redacted</c>, <c>toolUse</c>, <c>toolResult</c> or <c>cachePoint</c>.</param>
public sealed record FakeBlock(string Kind, string? Text = null, string? Signature = null, string? ToolUseId = null, string? Name = null, string? Input = null, string? Status = null);

/// <summary>One turn of the conversation: <c>user</c> or <c>assistant</c>, and its blocks.</summary>
public sealed record FakeTurn(string Role, IReadOnlyList<FakeBlock> Blocks);

/// <summary>
/// The parts of a ConverseStream request the fake model reads, checked the way Bedrock checks them, so that a
/// request Bedrock would reject is rejected locally too (with a <c>ValidationException</c>):
/// <list type="bullet">
/// <item>a conversation must end with a user turn; <c>toolUse</c>/<c>toolResult</c> blocks need a <c>toolConfig</c>,
/// and each tool result must answer a tool use of the turn before;</item>
/// <item>reasoning sent back in an assistant turn must carry the signature the model gave it (Claude rejects a
/// tool-loop turn whose reasoning was altered or lost its signature);</item>
/// <item>prompt-cache points only for the families that cache (Claude, Amazon Nova), and among the tools only for Claude;</item>
/// <item>Claude's thinking budget must be at least 1,024 tokens and below <c>maxTokens</c>, without temperature.</item>
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

    /// <summary>The model family from the model id: <c>anthropic</c>, <c>amazon</c>, <c>deepseek</c>, <c>openai</c>, <c>meta</c>, …</summary>
    public string Family => Base(ModelId).Split('.')[0];

    /// <summary>The signature the fake gives <paramref name="reasoning"/> (and expects back with it).</summary>
    public static string Sign(string reasoning) => Convert.ToBase64String(HMACSHA256.HashData(SigningKey, Encoding.UTF8.GetBytes(reasoning)));

    /// <summary>Parses and checks <paramref name="body"/>; on failure <paramref name="error"/> is Bedrock's kind of message.</summary>
    public static bool TryParse(byte[] body, string modelId, out FakeConverseRequest request, out string error)
    {
        request = new FakeConverseRequest(modelId);
        try
        {
            using var document = JsonDocument.Parse(body);
            error = request.Read(document.RootElement) ?? request.Check() ?? "";
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            error = "Malformed input request, please reformat your input and try again.";
        }

        return error.Length == 0;
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

    private string? Check()
    {
        if (Messages[^1].Role != "user")
            return "A conversation must end with a user message. Try again with a conversation that ends with a user message.";

        bool usesTools = Messages.Any(m => m.Blocks.Any(b => b.Kind is "toolUse" or "toolResult"));
        if (usesTools && ToolNames.Count == 0)
            return "The toolConfig field must be defined when using toolUse and toolResult content blocks.";

        for (int i = 0; i < Messages.Count; i++)
        {
            foreach (var result in Messages[i].Blocks.Where(b => b.Kind == "toolResult"))
            {
                bool answered = i > 0 && Messages[i - 1].Blocks.Any(b => b.Kind == "toolUse" && b.ToolUseId == result.ToolUseId);
                if (!answered)
                    return $"messages.{i}: toolResult {result.ToolUseId} does not match a toolUse block of the previous turn.";
            }

            foreach (var reasoning in Messages[i].Blocks.Where(b => b.Kind == "reasoning"))
            {
                if (reasoning.Signature is null || reasoning.Signature != Sign(reasoning.Text ?? ""))
                    return $"messages.{i}.content: Invalid `signature` in `thinking` block: reasoning sent back must be unchanged and keep its signature.";
            }
        }

        bool anyCachePoint = SystemCachePoint || ToolsCachePoint || Messages.Any(m => m.Blocks.Any(b => b.Kind == "cachePoint"));
        if (anyCachePoint && Family is not ("anthropic" or "amazon"))
            return $"The model {ModelId} does not support prompt caching (cachePoint).";
        if (ToolsCachePoint && Family == "amazon")
            return "Tools caching is not supported for Amazon Nova models: remove the cachePoint from toolConfig.tools.";

        if (Family == "anthropic" && AdditionalModelRequestFields is { } json)
        {
            using var fields = JsonDocument.Parse(json);
            if (fields.RootElement.TryGetProperty("thinking", out var thinking) && thinking.TryGetProperty("budget_tokens", out var budget))
            {
                int tokens = budget.GetInt32();
                if (tokens < 1024)
                    return "thinking.budget_tokens: Input should be greater than or equal to 1024";
                if (MaxTokens is { } max && tokens >= max)
                    return "`max_tokens` must be greater than `thinking.budget_tokens`.";
                if (Temperature is { } t && t != 1)
                    return "`temperature` may only be set to 1 when thinking is enabled.";
            }
        }

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
