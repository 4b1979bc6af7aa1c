using System.Text.Json;

namespace BedrockStream.Function;

/// <summary>
/// Frames the model's answer on the response: the 200 headers at the first event, one write per text delta,
/// and the closing <c>event: done</c> (sse) or error. Before the first event an error becomes a JSON error response.
/// </summary>
internal sealed class AnswerWriter : IDisposable
{
    private static readonly KeyValuePair<string, string>[] SseHeaders =
    [
        new("Content-Type", "text/event-stream"),
        new("Cache-Control", "no-cache"),
        new("X-Accel-Buffering", "no"),
    ];
    private static readonly KeyValuePair<string, string>[] TextHeaders = [new("Content-Type", "text/plain; charset=utf-8")];

    private readonly IHttpResponseStream _response;
    private readonly ResponseFormat _format;
    private readonly InvocationLog _log;
    private readonly PooledBufferWriter _buffer = new();
    private readonly Utf8JsonWriter _json;

    public AnswerWriter(IHttpResponseStream response, ResponseFormat format, InvocationLog log)
    {
        _response = response;
        _format = format;
        _log = log;
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = JsonFraming.Encoder, SkipValidation = true });
    }

    public bool HasStarted { get; private set; }

    /// <summary>Handles one model event: starts the response on the first, writes text deltas, records stop reason and usage.</summary>
    public async ValueTask OnEventAsync(ModelEvent modelEvent, CancellationToken cancellationToken)
    {
        if (!HasStarted)
            await StartAsync(cancellationToken);

        switch (modelEvent.Kind)
        {
            case ModelEventKind.TextDelta when !modelEvent.Text.IsEmpty:
                _log.AppendAnswer(modelEvent.Text.Span);
                await SendAsync(_format == ResponseFormat.Text ? modelEvent.Text : DeltaFrame(modelEvent.Text.Span), cancellationToken);
                break;
            case ModelEventKind.MessageStop:
                _log.StopReason = modelEvent.StopReason;
                break;
            case ModelEventKind.Metadata:
                _log.InputTokens = modelEvent.Usage.InputTokens;
                _log.OutputTokens = modelEvent.Usage.OutputTokens;
                break;
        }
    }

    /// <summary>Ends a complete answer: <c>event: done</c> with stop reason, usage and timings (sse); nothing more (text).</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (!HasStarted)
            await StartAsync(cancellationToken);
        if (_format == ResponseFormat.Sse)
            await SendAsync(DoneFrame(), cancellationToken);
    }

    /// <summary>
    /// Reports <paramref name="error"/>: as the whole JSON error response before the first event;
    /// afterwards as <c>event: error</c> (sse) or a final <c>[error] type: message</c> line (text).
    /// </summary>
    public async ValueTask FailAsync(HttpError error, CancellationToken cancellationToken)
    {
        _log.ErrorType ??= error.Type;
        _log.ErrorMessage ??= error.Message;
        if (!HasStarted)
        {
            HasStarted = true;
            _log.Status = error.StatusCode;
            _log.BytesSent += await error.WriteAsync(_response, cancellationToken);
            return;
        }
        await SendAsync(ErrorFrame(error), cancellationToken);
    }

    /// <summary>Writes the error event after a failure mid-stream; a broken response must not hide the original failure.</summary>
    public async ValueTask TryFailMidStreamAsync(HttpError error, CancellationToken cancellationToken)
    {
        try
        {
            await FailAsync(error, cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The caller's exception is rethrown by the handler.
        }
    }

    private async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        HasStarted = true;
        _log.Status = 200;
        _log.MarkFirstEvent();
        await _response.StartAsync(200, _format == ResponseFormat.Sse ? SseHeaders : TextHeaders, cancellationToken);
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _response.WriteAsync(data, cancellationToken);
        _log.BytesSent += data.Length;
    }

    // data: {"text":"..."}\n\n
    private ReadOnlyMemory<byte> DeltaFrame(ReadOnlySpan<byte> utf8Text)
    {
        _buffer.Clear();
        _buffer.Write("data: "u8);
        _json.Reset();
        _json.WriteStartObject();
        JsonFraming.WriteUtf8String(_json, "text"u8, utf8Text);
        _json.WriteEndObject();
        _json.Flush();
        _buffer.Write("\n\n"u8);
        return _buffer.WrittenMemory;
    }

    // event: done\ndata: {"stopReason":..,"inputTokens":..,"outputTokens":..,"ttftMs":..,"durationMs":..}\n\n
    private ReadOnlyMemory<byte> DoneFrame()
    {
        _buffer.Clear();
        _buffer.Write("event: done\ndata: "u8);
        _json.Reset();
        _json.WriteStartObject();
        JsonFraming.WriteOptional(_json, "stopReason"u8, _log.StopReason);
        JsonFraming.WriteOptional(_json, "inputTokens"u8, _log.InputTokens);
        JsonFraming.WriteOptional(_json, "outputTokens"u8, _log.OutputTokens);
        JsonFraming.WriteOptional(_json, "ttftMs"u8, _log.TtftMs);
        _json.WriteNumber("durationMs"u8, _log.ElapsedMs);
        _json.WriteEndObject();
        _json.Flush();
        _buffer.Write("\n\n"u8);
        return _buffer.WrittenMemory;
    }

    // sse: event: error\ndata: {"type":..,"message":..}\n\n    text: \n[error] <type>: <message>\n
    private ReadOnlyMemory<byte> ErrorFrame(HttpError error)
    {
        _buffer.Clear();
        if (_format == ResponseFormat.Text)
        {
            _buffer.Write("\n[error] "u8);
            JsonFraming.WriteUtf8(_buffer, error.Type);
            _buffer.Write(": "u8);
            JsonFraming.WriteUtf8(_buffer, error.Message);
            _buffer.Write("\n"u8);
            return _buffer.WrittenMemory;
        }
        _buffer.Write("event: error\ndata: "u8);
        _json.Reset();
        _json.WriteStartObject();
        _json.WriteString("type"u8, error.Type);
        _json.WriteString("message"u8, error.Message);
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
