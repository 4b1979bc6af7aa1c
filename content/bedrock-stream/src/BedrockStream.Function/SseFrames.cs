using System.Text.Json;
using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function;

/// <summary>
/// The server-sent events this function writes (https://html.spec.whatwg.org/multipage/server-sent-events.html),
/// each built in one reused buffer and sent as one chunk:
/// <code>
/// data: {"text":"…"}                                      an answer delta (unnamed, so EventSource's onmessage gets it)
/// event: reasoning  data: {"reasoning":"…"}               a reasoning delta ({"redacted":true} for encrypted reasoning)
/// event: tool_call  data: {"id","name","arguments":{…}}   the model called a tool
/// event: tool_result data: {"id","name","result"|"error"} what the tool returned
/// event: done       data: {"stopReason",…token counts…,"toolCalls","ttftMs","durationMs"}
/// event: error      data: {"type","message"}              the answer failed after it had started
/// </code>
/// Reasoning uses a different key from answer text on purpose: a client that reads only <c>data:</c> lines and
/// their <c>text</c> never splices the model's reasoning into its answer.
/// </summary>
internal sealed class SseFrames : IDisposable
{
    private readonly PooledBufferWriter _buffer = new();
    private readonly Utf8JsonWriter _json;

    public SseFrames() =>
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = JsonFraming.Encoder, SkipValidation = true });

    public ReadOnlyMemory<byte> Text(string text)
    {
        Begin(default);
        _json.WriteString("text"u8, text);
        return End();
    }

    public ReadOnlyMemory<byte> Reasoning(string text)
    {
        Begin("reasoning"u8);
        _json.WriteString("reasoning"u8, text);
        return End();
    }

    public ReadOnlyMemory<byte> RedactedReasoning()
    {
        Begin("reasoning"u8);
        _json.WriteBoolean("redacted"u8, true);
        return End();
    }

    public ReadOnlyMemory<byte> ToolCall(FunctionCallContent call)
    {
        Begin("tool_call"u8);
        _json.WriteString("id"u8, call.CallId);
        _json.WriteString("name"u8, call.Name);
        _json.WritePropertyName("arguments"u8);
        JsonValues.WriteObject(_json, call.Arguments);
        return End();
    }

    public ReadOnlyMemory<byte> ToolResult(FunctionResultContent result, string? toolName, string? error)
    {
        Begin("tool_result"u8);
        _json.WriteString("id"u8, result.CallId);
        JsonFraming.WriteOptional(_json, "name"u8, toolName);
        if (error is not null)
        {
            _json.WriteString("error"u8, error);
        }
        else
        {
            _json.WritePropertyName("result"u8);
            JsonValues.Write(_json, result.Result);
        }

        return End();
    }

    public ReadOnlyMemory<byte> Done(InvocationLog log)
    {
        Begin("done"u8);
        JsonFraming.WriteOptional(_json, "stopReason"u8, log.StopReason);
        log.WriteUsage(_json);
        _json.WriteNumber("toolCalls"u8, log.ToolCalls);
        JsonFraming.WriteOptional(_json, "ttftMs"u8, log.TtftMs);
        _json.WriteNumber("durationMs"u8, log.ElapsedMs);
        return End();
    }

    public ReadOnlyMemory<byte> Error(HttpError error)
    {
        Begin("error"u8);
        _json.WriteString("type"u8, error.Type);
        _json.WriteString("message"u8, error.Message);
        return End();
    }

    // [event: <name>\n]data: {
    private void Begin(ReadOnlySpan<byte> eventName)
    {
        _buffer.Clear();
        if (!eventName.IsEmpty)
        {
            _buffer.Write("event: "u8);
            _buffer.Write(eventName);
            _buffer.Write("\n"u8);
        }

        _buffer.Write("data: "u8);
        _json.Reset();
        _json.WriteStartObject();
    }

    // }\n\n
    private ReadOnlyMemory<byte> End()
    {
        _json.WriteEndObject();
        _json.Flush();
        _buffer.Write("\n\n"u8);
        return _buffer.WrittenMemory;
    }

    public void Dispose()
    {
        _json.Dispose();
        _buffer.Dispose();
    }
}
