using System.Buffers;
using System.Text;
using System.Text.Json;
using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.OpenAi;

/// <summary>
/// The parts of OpenAI's Chat Completions responses that the streaming and the whole answer share
/// (https://platform.openai.com/docs/api-reference/chat/object and .../chat-streaming): the error object, the usage,
/// the finish reason and a tool call's arguments.
/// </summary>
internal static class OpenAiJson
{
    /// <summary>The whole error response body: <c>{"error":{"message","type","param","code"}}</c>.</summary>
    public static byte[] ErrorBody(HttpError error)
    {
        var buffer = new ArrayBufferWriter<byte>(160 + error.Message.Length);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JsonFraming.Encoder }))
        {
            json.WriteStartObject();
            WriteError(json, error);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// <c>"error":{"message","type","param","code"}</c>: OpenAI's type for the status (<c>invalid_request_error</c>,
    /// <c>rate_limit_error</c>, <c>server_error</c>), and this function's error type, in snake case, as the code.
    /// </summary>
    public static void WriteError(Utf8JsonWriter json, HttpError error)
    {
        json.WriteStartObject("error"u8);
        json.WriteString("message"u8, error.Message);
        json.WriteString("type"u8, error.StatusCode switch
        {
            429 => "rate_limit_error",
            >= 500 => "server_error",
            _ => "invalid_request_error",
        });
        JsonFraming.WriteOptional(json, "param"u8, error.Param);
        json.WriteString("code"u8, error.StatusCode == 429 ? "rate_limit_exceeded" : SnakeCase(error.Type));
        json.WriteEndObject();
    }

    /// <summary>
    /// <c>"usage":{…}</c> of the whole invocation. OpenAI's prompt tokens include the cached ones; Bedrock counts cache
    /// reads and writes apart from its input tokens, so they are added back.
    /// </summary>
    public static void WriteUsage(Utf8JsonWriter json, InvocationLog log)
    {
        int cached = log.CacheReadInputTokens ?? 0;
        int prompt = (log.InputTokens ?? 0) + cached + (log.CacheWriteInputTokens ?? 0);
        int completion = log.OutputTokens ?? 0;
        json.WriteStartObject("usage"u8);
        json.WriteNumber("prompt_tokens"u8, prompt);
        json.WriteNumber("completion_tokens"u8, completion);
        json.WriteNumber("total_tokens"u8, prompt + completion);
        json.WriteStartObject("prompt_tokens_details"u8);
        json.WriteNumber("cached_tokens"u8, cached);
        json.WriteEndObject();
        if (log.ReasoningTokens is { } reasoning)
        {
            json.WriteStartObject("completion_tokens_details"u8);
            json.WriteNumber("reasoning_tokens"u8, reasoning);
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    /// <summary>OpenAI's finish reasons; a Bedrock stop reason without an equivalent (e.g. <c>malformed_tool_use</c>) is <c>stop</c>.</summary>
    public static string FinishReason(ChatFinishReason? reason) =>
        reason == ChatFinishReason.Length ? "length"
        : reason == ChatFinishReason.ToolCalls ? "tool_calls"
        : reason == ChatFinishReason.ContentFilter ? "content_filter"
        : "stop";

    /// <summary>A tool call's arguments as the JSON text OpenAI sends (<c>function.arguments</c> is a string).</summary>
    public static string Arguments(FunctionCallContent call)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JsonFraming.Encoder }))
            JsonValues.WriteObject(json, call.Arguments);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary><c>ModelNotReady</c> → <c>model_not_ready</c>.</summary>
    private static string SnakeCase(string type)
    {
        var name = new StringBuilder(type.Length + 4);
        foreach (char c in type)
        {
            if (char.IsUpper(c) && name.Length > 0)
                name.Append('_');
            name.Append(char.ToLowerInvariant(c));
        }
        return name.ToString();
    }
}
