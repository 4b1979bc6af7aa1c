using System.Text;
using System.Text.RegularExpressions;

namespace BedrockStream.Function.Local;

/// <summary>One frame the fake will send: paced frames wait their turn at the token rate; answer tokens count for faults.</summary>
internal readonly record struct PlannedFrame(string Type, byte[] Bytes, bool Paced, bool AnswerToken = false, string? Text = null);

/// <summary>The usage the fake reports, with the prompt-cache counts when the request had cache points.</summary>
internal readonly record struct FakeUsage(int InputTokens, int OutputTokens, int? CacheReadInputTokens, int? CacheWriteInputTokens);

/// <summary>
/// What the fake model answers to one request, decided from the request and the prompt's directives:
/// <list type="bullet">
/// <item>reasoning first (block 0: text deltas, then a signature) when the request switches reasoning on, when the
/// model always reasons (DeepSeek-R1), or on <c>#reason</c>; encrypted reasoning on <c>#redacted</c>;</item>
/// <item>a tool call (a short text, then a <c>toolUse</c> block whose JSON input arrives in fragments, stop reason
/// <c>tool_use</c>) on <c>#tool:name</c>, or when <c>current_time</c> is offered and the prompt asks for the time;</item>
/// <item>after tool results, an answer that repeats what the tools returned;</item>
/// <item>usage with cache reads and writes when the system prompt carries a cache point and is long enough.</item>
/// </list>
/// </summary>
internal sealed partial class FakeAnswerPlan
{
    /// <summary>Below this many tokens before a cache point, Bedrock caches nothing (Claude 1,024; Amazon Nova 1,000).</summary>
    private static int MinimumCacheTokens(string family) => family == "anthropic" ? 1024 : 1000;

    public List<PlannedFrame> Frames { get; } = [];

    public string StopReason { get; private set; } = "end_turn";

    /// <summary>The content block still open when the frames end (closed before <c>messageStop</c>), if any.</summary>
    public int? OpenBlock { get; private set; }

    public FakeUsage Usage { get; private set; }

    public static FakeAnswerPlan For(FakeConverseRequest request, FakeDirectives directives, FakeModel model)
    {
        var plan = new FakeAnswerPlan();
        bool continuation = request.ToolResults.Count > 0;
        int index = 0, output = 0;

        bool reasons = !continuation && (request.ReasoningRequested || directives.ReasoningTokens is not null || directives.Redacted || request.Family == "deepseek");
        if (reasons)
        {
            if (directives.Redacted)
            {
                plan.Frames.Add(new("contentBlockDelta", EventStreamFrames.RedactedReasoning(Encoding.UTF8.GetBytes("encrypted reasoning"), index), Paced: true));
                output++;
            }
            else
            {
                var thoughts = FakeAnswer.Reasoning(directives.ReasoningTokens ?? 12);
                foreach (var thought in thoughts)
                    plan.Frames.Add(new("contentBlockDelta", EventStreamFrames.ReasoningDelta(thought, index), Paced: true, Text: thought));
                plan.Frames.Add(new("contentBlockDelta", EventStreamFrames.ReasoningSignature(FakeConverseRequest.Sign(string.Concat(thoughts)), index), Paced: false));
                output += thoughts.Count;
            }
            plan.Frames.Add(new("contentBlockStop", EventStreamFrames.ContentBlockStop(index), Paced: false));
            index++;
        }

        var tool = ChooseTool(request, directives, continuation);
        bool truncated = false;
        IReadOnlyList<string> tokens = tool is not null ? ["Let", " me", " check."]
            : continuation ? FakeAnswer.AfterTools(request.ToolResults)
            : FakeAnswer.Tokens(request.Prompt, request.MaxTokens, out truncated);
        foreach (var token in tokens)
            plan.Frames.Add(new("contentBlockDelta", EventStreamFrames.ContentBlockDelta(token, index), Paced: true, AnswerToken: true, Text: token));
        output += tokens.Count;

        if (tool is { } call)
        {
            plan.Frames.Add(new("contentBlockStop", EventStreamFrames.ContentBlockStop(index), Paced: false));
            index++;
            plan.Frames.Add(new("contentBlockStart", EventStreamFrames.ToolUseStart("tooluse_" + Guid.NewGuid().ToString("N")[..20], call.Name, index), Paced: false));
            foreach (var fragment in Fragments(call.Input))
                plan.Frames.Add(new("contentBlockDelta", EventStreamFrames.ToolInputDelta(fragment, index), Paced: true, Text: fragment));
            plan.Frames.Add(new("contentBlockStop", EventStreamFrames.ContentBlockStop(index), Paced: false));
            output += 3;
            plan.StopReason = "tool_use";
        }
        else
        {
            plan.OpenBlock = index;
            plan.StopReason = truncated ? "max_tokens" : "end_turn";
        }

        plan.Usage = UsageOf(request, model, output);
        return plan;
    }

    private static (string Name, string Input)? ChooseTool(FakeConverseRequest request, FakeDirectives directives, bool continuation)
    {
        if (directives.ToolName is { } name && (directives.ToolLoop || !continuation))
            return (name, directives.ToolInput ?? "{}");

        // A newcomer's "What time is it?" in the local chat page: call the template's example tool.
        if (!continuation && request.ToolNames.Contains("current_time") && AsksForTime().IsMatch(request.Prompt))
            return ("current_time", FakeAnswer.TimeZoneIn(request.Prompt) is { } zone ? $$"""{"timeZone":"{{zone}}"}""" : "{}");

        return null;
    }

    /// <summary>The JSON input in small pieces, as Bedrock streams it (never splitting a surrogate pair).</summary>
    private static IEnumerable<string> Fragments(string json)
    {
        for (int i = 0; i < json.Length;)
        {
            int n = Math.Min(6, json.Length - i);
            if (i + n < json.Length && char.IsHighSurrogate(json[i + n - 1])) n++;
            yield return json.Substring(i, n);
            i += n;
        }
    }

    private static FakeUsage UsageOf(FakeConverseRequest request, FakeModel model, int output)
    {
        int system = request.System.Sum(FakeAnswer.WordCount);
        int tools = request.ToolNames.Count * 50;
        int messages = request.Messages.SelectMany(m => m.Blocks).Sum(b => FakeAnswer.WordCount(b.Text ?? "") + (b.Input is null ? 0 : 10));
        int input = Math.Max(1, system + tools + messages);
        if (!request.SystemCachePoint && !request.ToolsCachePoint)
            return new FakeUsage(input, output, null, null);

        // The cached prefix: tools (when they carry a cache point), then the system prompt up to its cache point.
        int prefix = (request.ToolsCachePoint ? tools : 0) + (request.SystemCachePoint ? system : 0);
        if (prefix < MinimumCacheTokens(request.Family))
            return new FakeUsage(input, output, 0, 0);
        string key = request.Family + "\n" + string.Join("\n", request.ToolNames) + "\n" + string.Join("\n", request.System);
        return model.CachePrefix(key)
            ? new FakeUsage(input - prefix, output, 0, prefix)     // first time: written to the cache
            : new FakeUsage(input - prefix, output, prefix, 0);    // then: read from it
    }

    [GeneratedRegex(@"\b(time|clock|hour)\b", RegexOptions.IgnoreCase)]
    private static partial Regex AsksForTime();
}
