using System.Text.Json;
using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.OpenAi;

/// <summary>
/// The answer to <c>"stream": true</c>, as OpenAI streams it (https://platform.openai.com/docs/api-reference/chat-streaming):
/// server-sent <c>data:</c> events, each a <c>chat.completion.chunk</c> sent as one chunk when the model produced it:
/// <code>
/// {"choices":[{"index":0,"delta":{"role":"assistant","content":""},…}]}         first, when the model has begun
/// {"choices":[{"index":0,"delta":{"content":"…"},…}]}                          an answer delta
/// {"choices":[{"index":0,"delta":{"reasoning_content":"…"},…}]}                a reasoning delta
/// {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id","type":"function","function":{"name","arguments":""}}]},…}]}
/// {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{…}"}}]},…}]}
/// {"choices":[{"index":0,"delta":{},"finish_reason":"stop|length|tool_calls|content_filter"}]}
/// {"choices":[],"usage":{…}}                                                    with stream_options.include_usage
/// [DONE]
/// </code>
/// Every chunk carries the same <c>id</c>, <c>created</c> and <c>model</c>. Before the model has begun, an error is an
/// HTTP error in OpenAI's shape; after, it is a last <c>data: {"error":{…}}</c> event, without <c>[DONE]</c>.
/// Heartbeats are SSE comments (<c>: keep-alive</c>), which OpenAI's clients skip as every SSE parser does.
/// </summary>
internal sealed class OpenAiChunkWriter(IHttpResponseStream response, InvocationLog log, string model, bool includeUsage, TimeProvider time, KeyValuePair<string, string>[] corsHeaders) : IAnswerWriter
{
    private readonly PooledBufferWriter _buffer = new();
    private readonly string _id = "chatcmpl-" + log.RequestId;
    private readonly long _created = log.StartedAt.ToUnixTimeSeconds();
    private Utf8JsonWriter? _json;
    private ChatFinishReason? _finishReason;
    private int _toolCalls;

    public bool HasStarted { get; private set; }

    public long LastSentAt { get; private set; } = time.GetTimestamp();

    public async ValueTask WriteAsync(ChatResponseUpdate update, CancellationToken cancellationToken)
    {
        if (BedrockStopReason.Of(update) is { } stopReason)
            log.StopReason = stopReason;
        _finishReason = update.FinishReason ?? _finishReason;

        foreach (AIContent content in update.Contents)
        {
            switch (content)
            {
                case TextContent { Text.Length: > 0 } text:
                    log.AppendAnswer(text.Text);
                    await BeginAnswerAsync(cancellationToken);
                    await SendAsync(Delta("content"u8, text.Text), cancellationToken);
                    break;

                case TextReasoningContent { Text.Length: > 0 } reasoning:
                    log.AppendReasoning(reasoning.Text);
                    await BeginAnswerAsync(cancellationToken);
                    await SendAsync(Delta("reasoning_content"u8, reasoning.Text), cancellationToken);
                    break;

                case TextReasoningContent:
                    await BeginAnswerAsync(cancellationToken);   // encrypted reasoning, or its signature: the model has begun
                    break;

                case FunctionCallContent call:
                    log.ToolCalls++;
                    int index = _toolCalls++;
                    await BeginAnswerAsync(cancellationToken);
                    await SendAsync(ToolCallStart(index, call), cancellationToken);
                    await SendAsync(ToolCallArguments(index, call), cancellationToken);
                    break;

                case UsageContent usage:
                    log.AddUsage(usage.Details);
                    break;
            }
        }
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        await BeginAnswerAsync(cancellationToken);
        await SendAsync(Finish(), cancellationToken);
        if (includeUsage)
            await SendAsync(Usage(), cancellationToken);
        await SendAsync("data: [DONE]\n\n"u8.ToArray(), cancellationToken);
    }

    public async ValueTask FailAsync(HttpError error, CancellationToken cancellationToken)
    {
        if (!HasStarted)
        {
            HasStarted = true;
            await error.ReplyAsync(response, log, corsHeaders, cancellationToken, OpenAiJson.ErrorBody(error));
            return;
        }

        error.RecordIn(log);
        var json = Begin();
        OpenAiJson.WriteError(json, error);
        await SendAsync(End(), cancellationToken);
    }

    // {"id","object":"chat.completion.chunk","created","model","choices":[{"index":0,"delta":{"<name>":"<text>"},"logprobs":null,"finish_reason":null}]}
    private ReadOnlyMemory<byte> Delta(ReadOnlySpan<byte> name, string text)
    {
        var json = BeginChoice();
        json.WriteString(name, text);
        return EndChoice(finishReason: null);
    }

    private ReadOnlyMemory<byte> ToolCallStart(int index, FunctionCallContent call)
    {
        var json = BeginToolCall(index);
        json.WriteString("id"u8, call.CallId);
        json.WriteString("type"u8, "function");
        json.WriteStartObject("function"u8);
        json.WriteString("name"u8, call.Name);
        json.WriteString("arguments"u8, "");
        return EndToolCall();
    }

    private ReadOnlyMemory<byte> ToolCallArguments(int index, FunctionCallContent call)
    {
        var json = BeginToolCall(index);
        json.WriteStartObject("function"u8);
        json.WriteString("arguments"u8, OpenAiJson.Arguments(call));
        return EndToolCall();
    }

    private Utf8JsonWriter BeginToolCall(int index)
    {
        var json = BeginChoice();
        json.WriteStartArray("tool_calls"u8);
        json.WriteStartObject();
        json.WriteNumber("index"u8, index);
        return json;
    }

    private ReadOnlyMemory<byte> EndToolCall()
    {
        _json!.WriteEndObject();   // function
        _json.WriteEndObject();    // the tool call
        _json.WriteEndArray();
        return EndChoice(finishReason: null);
    }

    private ReadOnlyMemory<byte> Finish()
    {
        BeginChoice();
        return EndChoice(OpenAiJson.FinishReason(_finishReason));
    }

    private ReadOnlyMemory<byte> Usage()
    {
        var json = BeginChunk();
        json.WriteStartArray("choices"u8);
        json.WriteEndArray();
        OpenAiJson.WriteUsage(json, log);
        return End();
    }

    // ...,"choices":[{"index":0,"delta":{
    private Utf8JsonWriter BeginChoice()
    {
        var json = BeginChunk();
        json.WriteStartArray("choices"u8);
        json.WriteStartObject();
        json.WriteNumber("index"u8, 0);
        json.WriteStartObject("delta"u8);
        return json;
    }

    // }, "logprobs":null,"finish_reason":…}][,"usage":null]
    private ReadOnlyMemory<byte> EndChoice(string? finishReason)
    {
        var json = _json!;
        json.WriteEndObject();
        json.WriteNull("logprobs"u8);
        JsonFraming.WriteOptional(json, "finish_reason"u8, finishReason);
        json.WriteEndObject();
        json.WriteEndArray();
        // With include_usage, OpenAI sends "usage": null on every chunk but the last.
        if (includeUsage)
            json.WriteNull("usage"u8);
        return End();
    }

    // data: {"id","object","created","model"
    private Utf8JsonWriter BeginChunk()
    {
        var json = Begin();
        json.WriteString("id"u8, _id);
        json.WriteString("object"u8, "chat.completion.chunk");
        json.WriteNumber("created"u8, _created);
        json.WriteString("model"u8, model);
        return json;
    }

    // data: {
    private Utf8JsonWriter Begin()
    {
        _buffer.Clear();
        _buffer.Write("data: "u8);
        _json ??= new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = JsonFraming.Encoder, SkipValidation = true });
        _json.Reset();
        _json.WriteStartObject();
        return _json;
    }

    // }\n\n
    private ReadOnlyMemory<byte> End()
    {
        _json!.WriteEndObject();
        _json.Flush();
        _buffer.Write("\n\n"u8);
        return _buffer.WrittenMemory;
    }

    public async ValueTask HeartbeatAsync(CancellationToken cancellationToken)
    {
        await StartAsync(cancellationToken);
        await SendAsync(": keep-alive\n\n"u8.ToArray(), cancellationToken);
    }

    // The model has begun.
    private ValueTask BeginAnswerAsync(CancellationToken cancellationToken)
    {
        log.MarkFirstEvent();
        return StartAsync(cancellationToken);
    }

    // At the model's first content (or the first heartbeat): the 200 headers, then the chunk that gives the role.
    private async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        if (HasStarted)
            return;
        HasStarted = true;
        log.Status = 200;
        await response.StartAsync(200, [.. AnswerWriter.SseHeaders, .. corsHeaders], cancellationToken);
        var json = BeginChoice();
        json.WriteString("role"u8, "assistant");
        json.WriteString("content"u8, "");
        await SendAsync(EndChoice(finishReason: null), cancellationToken);
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        await response.WriteAsync(frame, cancellationToken);
        log.BytesSent += frame.Length;
        LastSentAt = time.GetTimestamp();
    }

    public void Dispose()
    {
        _json?.Dispose();
        _buffer.Dispose();
    }
}
