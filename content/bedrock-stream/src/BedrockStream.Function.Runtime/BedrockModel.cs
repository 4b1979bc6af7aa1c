using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Runtime;

/// <summary>How a model family switches reasoning on (the field in <c>additionalModelRequestFields</c>).</summary>
public enum ReasoningStyle
{
    /// <summary>The model does not reason, or this function does not know how to make it.</summary>
    None,
    /// <summary>Claude extended thinking with a token budget: <c>{"thinking":{"type":"enabled","budget_tokens":N}}</c>.</summary>
    ClaudeBudget,
    /// <summary>Claude adaptive thinking: <c>{"thinking":{"type":"adaptive"},"output_config":{"effort":"low|medium|high"}}</c>.</summary>
    ClaudeAdaptive,
    /// <summary>Amazon Nova 2: <c>{"reasoningConfig":{"type":"enabled","maxReasoningEffort":"low|medium|high"}}</c>.</summary>
    Nova2,
    /// <summary>OpenAI gpt-oss: <c>{"reasoning_effort":"low|medium|high"}</c>.</summary>
    GptOss,
    /// <summary>The model always reasons and takes no setting for it (DeepSeek-R1).</summary>
    Always,
}

/// <summary>
/// What this function knows of a Bedrock model, from its id: how it reasons, where it can cache a prompt, whether it
/// streams tool calls, and its output limit; and how each request is shaped for it (<see cref="Shape"/>). Both Bedrock
/// clients of this project use it, so a model gets the same request whichever SDK stack sends it. Sources:
/// Claude https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-extended-thinking.html and
/// claude-messages-adaptive-thinking.html; Amazon Nova 2 https://docs.aws.amazon.com/nova/latest/nova2-userguide/extended-thinking.html;
/// gpt-oss https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-openai.html; DeepSeek-R1
/// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-deepseek.html; prompt caching
/// https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html.
/// </summary>
public sealed class BedrockModel
{
    /// <summary>The reasoning budget each effort adds on top of the answer's tokens (what it costs at most).</summary>
    public static int ReasoningBudget(ReasoningEffort effort) => effort switch
    {
        ReasoningEffort.Low => 1_024,
        ReasoningEffort.Medium => 4_096,
        ReasoningEffort.High or ReasoningEffort.ExtraHigh => 16_384,
        _ => 0,
    };

    private readonly BedrockChatClientOptions _options;

    /// <param name="modelId">Model id, inference-profile id or ARN.</param>
    /// <exception cref="ConfigurationException">The options ask for something the model cannot do (reasoning, tools).</exception>
    public BedrockModel(string modelId, BedrockChatClientOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        _options = options ?? new BedrockChatClientOptions();
        ModelId = modelId;
        BaseId = BaseModelId(modelId);
        Family = BaseId.Split('.')[0];
        (Reasoning, MaxOutputTokens) = Describe(BaseId);
        (CachesSystem, CachesTools, MinimumCacheTokens) = CachingOf(BaseId);
        StreamsToolCalls = !(BaseId.StartsWith("deepseek.r1", StringComparison.Ordinal) || BaseId.StartsWith("meta.llama4", StringComparison.Ordinal));

        if (_options.MaxReasoningEffort is { } effort and not ReasoningEffort.None && Reasoning == ReasoningStyle.None)
            throw new ConfigurationException(
                $"REASONING_EFFORT is '{effort.ToString().ToLowerInvariant()}', but this function does not know how to make MODEL_ID '{modelId}' reason. " +
                "Set REASONING_EFFORT=off, or use a model that reasons (Claude Sonnet 4.6 or Haiku 4.5, Amazon Nova 2 Lite, gpt-oss, DeepSeek-R1).");
        if (_options.HasTools && !StreamsToolCalls)
            throw new ConfigurationException(
                $"MODEL_ID '{modelId}' does not support tool use in streaming mode, and this function has tools. Remove the files in Tools/ or use another model.");
    }

    public string ModelId { get; }

    /// <summary>The model id without an ARN or an inference-profile prefix, e.g. <c>anthropic.claude-sonnet-4-6</c>.</summary>
    public string BaseId { get; }

    /// <summary>The provider part of the id: <c>anthropic</c>, <c>amazon</c>, <c>openai</c>, <c>deepseek</c>, <c>meta</c>, …</summary>
    public string Family { get; }

    public ReasoningStyle Reasoning { get; }

    /// <summary>The model's output limit where known: the answer plus its reasoning must fit in it.</summary>
    public int? MaxOutputTokens { get; }

    public bool CachesSystem { get; }

    /// <summary>A cache point may follow the tool definitions (Claude; Amazon Nova caches system and messages only).</summary>
    public bool CachesTools { get; }

    /// <summary>Below this many tokens before a cache point, Bedrock caches nothing.</summary>
    public int MinimumCacheTokens { get; }

    /// <summary>False for models that reject tools in ConverseStream (DeepSeek-R1, Llama 4).</summary>
    public bool StreamsToolCalls { get; }

    /// <summary>What the client adds to a request with <paramref name="messages"/> and <paramref name="options"/> for this model.</summary>
    internal ConverseRequestShape Shape(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var effort = options?.Reasoning?.Effort ?? ReasoningEffort.None;
        var shape = ReasoningShape(effort, options?.MaxOutputTokens);
        if (_options.PromptCaching)
        {
            shape = shape with
            {
                CachePointAfterSystem = CachesSystem && EstimatedTokens(messages, options) >= MinimumCacheTokens,
                CachePointAfterTools = CachesTools && EstimatedTokens(options?.Tools) >= MinimumCacheTokens,
            };
        }

        // Only Claude needs earlier reasoning back (within a tool loop, unchanged); gpt-oss rejects it and AWS's
        // DeepSeek-R1 example strips it.
        return shape with { OmitReasoningHistory = Family != "anthropic" };
    }

    private ConverseRequestShape ReasoningShape(ReasoningEffort effort, int? answerTokens)
    {
        bool on = effort is not ReasoningEffort.None;
        int budget = ReasoningBudget(effort);
        switch (Reasoning)
        {
            case ReasoningStyle.ClaudeBudget when on:
                // budget_tokens >= 1,024 and below maxTokens, which is the answer plus the budget (within the model's limit).
                int answer = Math.Max(1, Math.Min(answerTokens ?? 1024, (MaxOutputTokens ?? int.MaxValue) - budget));
                return new ConverseRequestShape
                {
                    MaxTokens = answer + budget,
                    OmitSampling = true,
                    AdditionalModelRequestFields = new JsonObject { ["thinking"] = new JsonObject { ["type"] = "enabled", ["budget_tokens"] = budget } },
                };
            case ReasoningStyle.ClaudeAdaptive when on:
                return new ConverseRequestShape
                {
                    MaxTokens = Capped(answerTokens, budget),
                    OmitSampling = true,
                    AdditionalModelRequestFields = new JsonObject
                    {
                        ["thinking"] = new JsonObject { ["type"] = "adaptive" },
                        ["output_config"] = new JsonObject { ["effort"] = EffortName(effort) },
                    },
                };
            case ReasoningStyle.Nova2 when on:
                // With high effort Nova 2 requires temperature, topP and maxTokens unset: it may then write up to its own limit.
                bool high = effort is ReasoningEffort.High or ReasoningEffort.ExtraHigh;
                return new ConverseRequestShape
                {
                    MaxTokens = high ? null : Capped(answerTokens, budget),
                    OmitMaxTokens = high,
                    OmitSampling = high,
                    AdditionalModelRequestFields = new JsonObject
                    {
                        ["reasoningConfig"] = new JsonObject { ["type"] = "enabled", ["maxReasoningEffort"] = EffortName(effort) },
                    },
                };
            case ReasoningStyle.GptOss when on:
                return new ConverseRequestShape
                {
                    MaxTokens = Capped(answerTokens, budget),
                    AdditionalModelRequestFields = new JsonObject { ["reasoning_effort"] = EffortName(effort) },
                };
            case ReasoningStyle.Always:
                // It reasons whatever the setting: leave room for a medium budget on top of the answer.
                return new ConverseRequestShape { MaxTokens = Capped(answerTokens, ReasoningBudget(ReasoningEffort.Medium)) };
            default:
                return ConverseRequestShape.None;
        }
    }

    // The answer's tokens plus the reasoning budget, within the model's limit; null when the caller set no answer length.
    private int? Capped(int? answerTokens, int budget) =>
        answerTokens is int answer ? Math.Min(answer + budget, MaxOutputTokens ?? int.MaxValue) : null;

    private static string EffortName(ReasoningEffort effort) => effort switch
    {
        ReasoningEffort.Low => "low",
        ReasoningEffort.Medium => "medium",
        _ => "high",
    };

    // Prompt sizes are estimated at 4 characters per token: near the minimum Bedrock simply caches nothing.
    private static int EstimatedTokens(IEnumerable<ChatMessage> messages, ChatOptions? options) =>
        ((options?.Instructions?.Length ?? 0) + messages.Where(m => m.Role == ChatRole.System).Sum(m => m.Text.Length)) / 4;

    private static int EstimatedTokens(IList<AITool>? tools) =>
        tools?.OfType<AIFunctionDeclaration>().Sum(f => f.Name.Length + (f.Description?.Length ?? 0) + f.JsonSchema.GetRawText().Length) / 4 ?? 0;

    private static (ReasoningStyle Style, int? MaxOutputTokens) Describe(string id) => id switch
    {
        _ when id.StartsWith("anthropic.claude-sonnet-4-6", StringComparison.Ordinal) => (ReasoningStyle.ClaudeAdaptive, 64_000),
        _ when id.StartsWith("anthropic.claude-opus-4-6", StringComparison.Ordinal)
            || id.StartsWith("anthropic.claude-opus-4-7", StringComparison.Ordinal)
            || id.StartsWith("anthropic.claude-sonnet-5", StringComparison.Ordinal)
            || id.StartsWith("anthropic.claude-opus-5", StringComparison.Ordinal) => (ReasoningStyle.ClaudeAdaptive, 128_000),
        _ when id.StartsWith("anthropic.claude-haiku-4-5", StringComparison.Ordinal)
            || id.StartsWith("anthropic.claude-sonnet-4-5", StringComparison.Ordinal)
            || id.StartsWith("anthropic.claude-opus-4-5", StringComparison.Ordinal) => (ReasoningStyle.ClaudeBudget, 64_000),
        _ when id.StartsWith("anthropic.claude-sonnet-4", StringComparison.Ordinal)
            || id.StartsWith("anthropic.claude-opus-4", StringComparison.Ordinal)
            || id.StartsWith("anthropic.claude-3-7-sonnet", StringComparison.Ordinal) => (ReasoningStyle.ClaudeBudget, 32_000),
        _ when id.StartsWith("amazon.nova-2-lite", StringComparison.Ordinal) => (ReasoningStyle.Nova2, 64_000),
        _ when id.StartsWith("openai.gpt-oss", StringComparison.Ordinal) => (ReasoningStyle.GptOss, 16_384),
        _ when id.StartsWith("deepseek.r1", StringComparison.Ordinal) => (ReasoningStyle.Always, 32_768),
        _ => (ReasoningStyle.None, null),
    };

    // Which models take cache points, where, and their minimum prefix (the prompt-caching page and the model cards).
    private static (bool System, bool Tools, int Minimum) CachingOf(string id) => id switch
    {
        _ when id.StartsWith("anthropic.claude-haiku-4-5", StringComparison.Ordinal)
            || id.StartsWith("anthropic.claude-sonnet-4-5", StringComparison.Ordinal)
            || id.StartsWith("anthropic.claude-opus-4-5", StringComparison.Ordinal)
            || id.StartsWith("anthropic.claude-opus-4-6", StringComparison.Ordinal)
            || id.StartsWith("anthropic.claude-opus-4-7", StringComparison.Ordinal) => (true, true, 4_096),
        _ when id.StartsWith("anthropic.claude-sonnet-4-6", StringComparison.Ordinal)
            || id.StartsWith("anthropic.claude-3-5-haiku", StringComparison.Ordinal) => (true, true, 2_048),
        _ when id.StartsWith("anthropic.claude-sonnet-4", StringComparison.Ordinal)
            || id.StartsWith("anthropic.claude-opus-4", StringComparison.Ordinal)
            || id.StartsWith("anthropic.claude-3-7-sonnet", StringComparison.Ordinal) => (true, true, 1_024),
        _ when id.StartsWith("amazon.nova-", StringComparison.Ordinal) => (true, false, 1_000),
        _ => (false, false, int.MaxValue),
    };

    /// <summary>The model id without an ARN or an inference-profile prefix: <c>us.anthropic.claude-x</c> → <c>anthropic.claude-x</c>.</summary>
    public static string BaseModelId(string modelId)
    {
        string id = modelId.Contains('/') ? modelId[(modelId.LastIndexOf('/') + 1)..] : modelId;
        foreach (var prefix in (ReadOnlySpan<string>)["us.", "eu.", "apac.", "jp.", "au.", "ca.", "us-gov.", "global."])
        {
            if (id.StartsWith(prefix, StringComparison.Ordinal))
                return id[prefix.Length..];
        }

        return id;
    }
}
