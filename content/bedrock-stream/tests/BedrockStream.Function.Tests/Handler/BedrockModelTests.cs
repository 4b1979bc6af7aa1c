using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Tests.Handler;

/// <summary>
/// How each model family gets reasoning, prompt caching and its token budget (<see cref="BedrockModel"/>, shared by both
/// SDK stacks): the request fields Bedrock documents for it, and nothing a family would reject.
/// </summary>
public class BedrockModelTests
{
    private static readonly ChatMessage[] Hi = [new(ChatRole.User, "hi")];

    private static ConverseRequestShape Shape(string modelId, ReasoningEffort effort, int? maxTokens = 1000, BedrockChatClientOptions? options = null, IEnumerable<ChatMessage>? messages = null, IList<AITool>? tools = null) =>
        new BedrockModel(modelId, options).Shape(messages ?? Hi, new ChatOptions
        {
            MaxOutputTokens = maxTokens,
            Reasoning = effort == ReasoningEffort.None ? null : new ReasoningOptions { Effort = effort },
            Tools = tools,
        });

    [Theory]
    [InlineData(ReasoningEffort.Low, 1024)]
    [InlineData(ReasoningEffort.Medium, 4096)]
    [InlineData(ReasoningEffort.High, 16384)]
    public void Claude_Haiku_thinks_with_a_budget_on_top_of_the_answer_and_without_sampling_parameters(ReasoningEffort effort, int budget)
    {
        var shape = Shape("us.anthropic.claude-haiku-4-5-20251001-v1:0", effort, maxTokens: 1000);

        Assert.Equal($$$"""{"thinking":{"type":"enabled","budget_tokens":{{{budget}}}}}""", shape.AdditionalModelRequestFields!.ToJsonString());
        Assert.Equal(1000 + budget, shape.MaxTokens);   // the answer keeps its 1,000 tokens
        Assert.True(shape.OmitSampling);
        Assert.False(shape.OmitReasoningHistory);       // Claude needs its signed reasoning back in a tool loop
    }

    [Fact]
    public void A_Claude_budget_stays_within_the_models_output_limit_and_above_1024()
    {
        var shape = Shape("anthropic.claude-haiku-4-5-20251001-v1:0", ReasoningEffort.High, maxTokens: 65_536);

        Assert.Equal(64_000, shape.MaxTokens);   // Haiku 4.5 writes at most 64K tokens: the answer gives way
        Assert.Equal(16_384, (int)shape.AdditionalModelRequestFields!["thinking"]!["budget_tokens"]!);
        Assert.True(16_384 < shape.MaxTokens);
    }

    [Theory]
    [InlineData("us.anthropic.claude-sonnet-4-6", ReasoningEffort.Medium, "medium", 5096)]
    [InlineData("eu.anthropic.claude-sonnet-4-6", ReasoningEffort.High, "high", 17384)]
    public void Claude_Sonnet_4_6_thinks_adaptively_with_an_effort(string modelId, ReasoningEffort effort, string name, int maxTokens)
    {
        var shape = Shape(modelId, effort);

        Assert.Equal($$$"""{"thinking":{"type":"adaptive"},"output_config":{"effort":"{{{name}}}"}}""", shape.AdditionalModelRequestFields!.ToJsonString());
        Assert.Equal(maxTokens, shape.MaxTokens);
        Assert.True(shape.OmitSampling);
    }

    [Fact]
    public void Nova_2_reasons_with_a_reasoning_config_and_high_effort_leaves_max_tokens_and_sampling_unset()
    {
        var low = Shape("us.amazon.nova-2-lite-v1:0", ReasoningEffort.Low);
        var high = Shape("global.amazon.nova-2-lite-v1:0", ReasoningEffort.High);

        Assert.Equal("""{"reasoningConfig":{"type":"enabled","maxReasoningEffort":"low"}}""", low.AdditionalModelRequestFields!.ToJsonString());
        Assert.Equal((2024, false, false), (low.MaxTokens, low.OmitMaxTokens, low.OmitSampling));
        Assert.Equal("""{"reasoningConfig":{"type":"enabled","maxReasoningEffort":"high"}}""", high.AdditionalModelRequestFields!.ToJsonString());
        Assert.Equal((null, true, true), (high.MaxTokens, high.OmitMaxTokens, high.OmitSampling));
        Assert.True(low.OmitReasoningHistory);   // Nova's reasoning comes back as [REDACTED]: nothing to send back
    }

    [Fact]
    public void Gpt_oss_takes_a_reasoning_effort_within_its_output_limit()
    {
        var shape = Shape("openai.gpt-oss-120b-1:0", ReasoningEffort.High, maxTokens: 4000);

        Assert.Equal("""{"reasoning_effort":"high"}""", shape.AdditionalModelRequestFields!.ToJsonString());
        Assert.Equal(16_384, shape.MaxTokens);
        Assert.False(shape.OmitSampling);
        Assert.True(shape.OmitReasoningHistory);   // gpt-oss rejects reasoning sent back to it
    }

    [Theory]
    [InlineData(ReasoningEffort.None)]
    [InlineData(ReasoningEffort.High)]
    public void DeepSeek_R1_always_reasons_so_its_answer_gets_room_for_reasoning_whatever_the_effort(ReasoningEffort effort)
    {
        var shape = Shape("us.deepseek.r1-v1:0", effort);

        Assert.Null(shape.AdditionalModelRequestFields);
        Assert.Equal(1000 + 4096, shape.MaxTokens);
        Assert.True(shape.OmitReasoningHistory);
    }

    [Theory]
    [InlineData("us.anthropic.claude-sonnet-4-6")]
    [InlineData("us.amazon.nova-2-lite-v1:0")]
    [InlineData("amazon.nova-pro-v1:0")]
    [InlineData("us.meta.llama4-maverick-17b-instruct-v1:0")]
    public void Without_reasoning_the_request_is_left_alone(string modelId)
    {
        var shape = Shape(modelId, ReasoningEffort.None);

        Assert.Equal((null, null, false, false), (shape.AdditionalModelRequestFields, shape.MaxTokens, shape.OmitSampling, shape.OmitMaxTokens));
    }

    [Theory]
    [InlineData("amazon.nova-pro-v1:0")]
    [InlineData("apac.amazon.nova-lite-v1:0")]
    [InlineData("us.meta.llama4-maverick-17b-instruct-v1:0")]
    [InlineData("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123")]
    public void A_model_that_cannot_reason_is_refused_at_start_up_when_reasoning_is_configured(string modelId)
    {
        var error = Assert.Throws<ConfigurationException>(() => new BedrockModel(modelId, new BedrockChatClientOptions { MaxReasoningEffort = ReasoningEffort.Low }));

        Assert.Contains("REASONING_EFFORT", error.Message);
        Assert.Contains(modelId, error.Message);
        _ = new BedrockModel(modelId, new BedrockChatClientOptions { MaxReasoningEffort = ReasoningEffort.None });   // off: fine
    }

    [Theory]
    [InlineData("us.deepseek.r1-v1:0")]
    [InlineData("us.meta.llama4-maverick-17b-instruct-v1:0")]
    public void A_model_that_cannot_stream_tool_calls_is_refused_when_the_function_has_tools(string modelId)
    {
        var error = Assert.Throws<ConfigurationException>(() => new BedrockModel(modelId, new BedrockChatClientOptions { HasTools = true }));

        Assert.Contains("tool use in streaming mode", error.Message);
    }

    private static readonly ChatMessage[] LongSystem = [new(ChatRole.System, new string('x', 4 * 4_200)), .. Hi];
    private static readonly ChatMessage[] ShortSystem = [new(ChatRole.System, "Be brief."), .. Hi];

    [Theory]
    [InlineData("us.anthropic.claude-haiku-4-5-20251001-v1:0", true, true)]
    [InlineData("us.anthropic.claude-sonnet-4-6", true, true)]
    [InlineData("us.amazon.nova-2-lite-v1:0", true, false)]   // Amazon Nova caches system and messages, not tools
    [InlineData("amazon.nova-pro-v1:0", true, false)]
    [InlineData("openai.gpt-oss-120b-1:0", false, false)]      // models without prompt caching reject a cache point
    [InlineData("us.deepseek.r1-v1:0", false, false)]
    [InlineData("us.meta.llama4-maverick-17b-instruct-v1:0", false, false)]
    public void Prompt_cache_points_go_where_the_family_caches(string modelId, bool system, bool tools)
    {
        var bigTool = AIFunctionFactory.Create((string a) => a, "big", new string('d', 4 * 4_200));

        var shape = Shape(modelId, ReasoningEffort.None, options: new BedrockChatClientOptions { PromptCaching = true }, messages: LongSystem, tools: [bigTool]);

        Assert.Equal((system, tools), (shape.CachePointAfterSystem, shape.CachePointAfterTools));
    }

    [Fact]
    public void A_prompt_below_the_models_minimum_gets_no_cache_point_and_caching_off_gets_none()
    {
        var options = new BedrockChatClientOptions { PromptCaching = true };

        Assert.False(Shape("us.anthropic.claude-haiku-4-5-20251001-v1:0", ReasoningEffort.None, options: options, messages: ShortSystem).CachePointAfterSystem);
        // 2,100 estimated tokens: enough for Sonnet 4.6 (2,048), not for Haiku 4.5 (4,096).
        ChatMessage[] medium = [new(ChatRole.System, new string('x', 4 * 2_100)), .. Hi];
        Assert.True(Shape("us.anthropic.claude-sonnet-4-6", ReasoningEffort.None, options: options, messages: medium).CachePointAfterSystem);
        Assert.False(Shape("us.anthropic.claude-haiku-4-5-20251001-v1:0", ReasoningEffort.None, options: options, messages: medium).CachePointAfterSystem);
        Assert.False(Shape("us.anthropic.claude-sonnet-4-6", ReasoningEffort.None, options: new BedrockChatClientOptions { PromptCaching = false }, messages: LongSystem).CachePointAfterSystem);
    }

    [Theory]
    [InlineData("us.anthropic.claude-sonnet-4-6", "anthropic.claude-sonnet-4-6")]
    [InlineData("global.amazon.nova-2-lite-v1:0", "amazon.nova-2-lite-v1:0")]
    [InlineData("arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-6", "anthropic.claude-sonnet-4-6")]
    [InlineData("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0")]
    [InlineData("openai.gpt-oss-120b-1:0", "openai.gpt-oss-120b-1:0")]
    public void The_base_model_id_drops_the_profile_prefix_and_the_arn(string modelId, string baseId) =>
        Assert.Equal(baseId, BedrockModel.BaseModelId(modelId));
}
