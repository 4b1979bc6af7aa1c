using System.Text;
using System.Text.Json;
using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.OpenAi;

/// <summary>
/// The answer to <c>"stream": false</c>: one <c>chat.completion</c> (https://platform.openai.com/docs/api-reference/chat/object),
/// assembled from the same ConverseStream call as a streamed answer (the function's role may call only
/// <c>bedrock:InvokeModelWithResponseStream</c>), and sent when the model has finished:
/// <code>
/// {"id","object":"chat.completion","created","model",
///  "choices":[{"index":0,"message":{"role":"assistant","content","reasoning_content"?,"tool_calls"?},"logprobs":null,"finish_reason"}],
///  "usage":{…}}
/// </code>
/// Nothing is sent before then, so every failure is an HTTP error in OpenAI's shape, and a model call that fails
/// part-way may be tried again from the start. The exception is a heartbeat (a front that drops a silent connection):
/// it starts the 200 and sends a newline, which JSON ignores before a value (https://www.rfc-editor.org/rfc/rfc8259#section-2);
/// a failure after that is the body <c>{"error":{…}}</c> of that 200.
/// </summary>
internal sealed class OpenAiCompletionWriter(IHttpResponseStream response, InvocationLog log, string model, TimeProvider time, KeyValuePair<string, string>[] corsHeaders) : IAnswerWriter
{
    private static readonly KeyValuePair<string, string>[] Headers = [new("Content-Type", "application/json")];

    private readonly StringBuilder _text = new();
    private readonly StringBuilder _reasoning = new();
    private readonly List<FunctionCallContent> _calls = [];
    private ChatFinishReason? _finishReason;
    private bool _complete;

    public bool HasStarted { get; private set; }

    public long LastSentAt { get; private set; } = time.GetTimestamp();

    public ValueTask WriteAsync(ChatResponseUpdate update, CancellationToken cancellationToken)
    {
        if (BedrockStopReason.Of(update) is { } stopReason)
            log.StopReason = stopReason;
        _finishReason = update.FinishReason ?? _finishReason;
        foreach (AIContent content in update.Contents)
        {
            switch (content)
            {
                case TextContent text:
                    _text.Append(text.Text);
                    break;
                case TextReasoningContent reasoning:
                    _reasoning.Append(reasoning.Text);
                    break;
                case FunctionCallContent call:
                    _calls.Add(call);
                    break;
                case UsageContent usage:
                    log.AddUsage(usage.Details);
                    break;
            }
        }

        return ValueTask.CompletedTask;
    }

    public void Restart()
    {
        _text.Clear();
        _reasoning.Clear();
        _calls.Clear();
        _finishReason = null;
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        log.MarkFirstEvent();
        log.ToolCalls += _calls.Count;
        log.AppendAnswer(_text.ToString());
        if (_reasoning.Length > 0)
            log.AppendReasoning(_reasoning.ToString());

        using var buffer = new PooledBufferWriter(512 + _text.Length + _reasoning.Length);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JsonFraming.Encoder }))
            WriteCompletion(json);
        await StartAsync(cancellationToken);
        await SendAsync(buffer.WrittenMemory, cancellationToken);
        _complete = true;
    }

    public async ValueTask FailAsync(HttpError error, CancellationToken cancellationToken)
    {
        if (_complete)
            return;   // the completion was sent whole: nothing can follow it
        if (!HasStarted)
        {
            HasStarted = true;
            await error.ReplyAsync(response, log, corsHeaders, cancellationToken, OpenAiJson.ErrorBody(error));
            return;
        }

        // Only heartbeats (whitespace) were sent: the 200's body is the error.
        error.RecordIn(log);
        await SendAsync(OpenAiJson.ErrorBody(error), cancellationToken);
        _complete = true;
    }

    public async ValueTask HeartbeatAsync(CancellationToken cancellationToken)
    {
        await StartAsync(cancellationToken);
        await SendAsync("\n"u8.ToArray(), cancellationToken);
    }

    private async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        if (HasStarted)
            return;
        HasStarted = true;
        log.Status = 200;
        await response.StartAsync(200, [.. Headers, .. corsHeaders], cancellationToken);
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await response.WriteAsync(data, cancellationToken);
        log.BytesSent += data.Length;
        LastSentAt = time.GetTimestamp();
    }

    private void WriteCompletion(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, "chatcmpl-" + log.RequestId);
        json.WriteString("object"u8, "chat.completion");
        json.WriteNumber("created"u8, log.StartedAt.ToUnixTimeSeconds());
        json.WriteString("model"u8, model);
        json.WriteStartArray("choices"u8);
        json.WriteStartObject();
        json.WriteNumber("index"u8, 0);
        json.WriteStartObject("message"u8);
        json.WriteString("role"u8, "assistant");
        // An answer that is only tool calls has null content, as OpenAI's.
        JsonFraming.WriteOptional(json, "content"u8, _text.Length == 0 && _calls.Count > 0 ? null : _text.ToString());
        if (_reasoning.Length > 0)
            json.WriteString("reasoning_content"u8, _reasoning.ToString());
        json.WriteNull("refusal"u8);
        if (_calls.Count > 0)
        {
            json.WriteStartArray("tool_calls"u8);
            foreach (var call in _calls)
            {
                json.WriteStartObject();
                json.WriteString("id"u8, call.CallId);
                json.WriteString("type"u8, "function");
                json.WriteStartObject("function"u8);
                json.WriteString("name"u8, call.Name);
                json.WriteString("arguments"u8, OpenAiJson.Arguments(call));
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        json.WriteEndObject();
        json.WriteNull("logprobs"u8);
        json.WriteString("finish_reason"u8, OpenAiJson.FinishReason(_finishReason));
        json.WriteEndObject();
        json.WriteEndArray();
        OpenAiJson.WriteUsage(json, log);
        json.WriteEndObject();
    }

    public void Dispose()
    {
    }
}
