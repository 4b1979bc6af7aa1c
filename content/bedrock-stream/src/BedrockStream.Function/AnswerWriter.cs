using System.Text;
using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function;

/// <summary>
/// Writes the model's streamed updates as the response: the 200 headers at the first update that carries content,
/// then one chunk per delta, reasoning delta, tool call and tool result (<see cref="SseFrames"/>; only the answer's
/// text for <c>text</c>), and <c>event: done</c> at the end. Before the first content an error becomes a JSON error
/// response with its own status, so a throttled call is a clean 429, not a broken 200. For fronts that drop a silent
/// connection it also writes heartbeats (<see cref="HeartbeatAsync"/>, driven by <see cref="Heartbeats"/>).
/// </summary>
internal sealed class AnswerWriter : IAnswerWriter
{
    /// <summary>The headers of a server-sent event stream that no proxy buffers.</summary>
    internal static readonly KeyValuePair<string, string>[] SseHeaders =
    [
        new("Content-Type", "text/event-stream"),
        new("Cache-Control", "no-cache"),
        new("X-Accel-Buffering", "no"),
    ];
    private static readonly KeyValuePair<string, string>[] TextHeaders = [new("Content-Type", "text/plain; charset=utf-8")];

    /// <summary>An SSE comment line: every EventSource and SSE parser skips it (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).</summary>
    private static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();

    private readonly IHttpResponseStream _response;
    private readonly ResponseFormat _format;
    private readonly InvocationLog _log;
    private readonly TimeProvider _time;
    private readonly KeyValuePair<string, string>[] _corsHeaders;
    private readonly SseFrames _frames = new();
    private readonly PooledBufferWriter _text = new();
    private readonly HashSet<string> _offeredTools;
    private Dictionary<string, string>? _toolNames;

    /// <param name="offeredTools">The names of the tools the model was offered: a result for any other call is an error.</param>
    /// <param name="corsOrigin"><c>CORS_ALLOW_ORIGIN</c>: sent as <c>Access-Control-Allow-Origin</c> with every response.</param>
    public AnswerWriter(IHttpResponseStream response, ResponseFormat format, InvocationLog log, IEnumerable<string> offeredTools, TimeProvider time, string? corsOrigin = null)
    {
        _response = response;
        _format = format;
        _log = log;
        _time = time;
        _offeredTools = [.. offeredTools];
        _corsHeaders = SseTextProtocol.CorsHeaders(corsOrigin);
        LastSentAt = time.GetTimestamp();
    }

    public bool HasStarted { get; private set; }

    /// <summary>When the caller last received something (<see cref="TimeProvider.GetTimestamp"/>); before that, when the invocation began.</summary>
    public long LastSentAt { get; private set; }

    private bool IsSse => _format == ResponseFormat.Sse;

    /// <summary>Writes what <paramref name="update"/> carries, and records its stop reason and usage.</summary>
    public async ValueTask WriteAsync(ChatResponseUpdate update, CancellationToken cancellationToken)
    {
        if (BedrockStopReason.Of(update) is { } stopReason)
            _log.StopReason = stopReason;

        foreach (AIContent content in update.Contents)
        {
            switch (content)
            {
                case TextContent { Text.Length: > 0 } text:
                    _log.AppendAnswer(text.Text);
                    await SendAsync(IsSse ? _frames.Text(text.Text) : Utf8(text.Text), cancellationToken);
                    break;

                // Reasoning and tool events are SSE only; in text format they still start the response (the model has begun).
                case TextReasoningContent reasoning when reasoning.AdditionalProperties?.ContainsKey(BedrockKeys.RedactedContent) == true:
                    await SendAsync(IsSse ? _frames.RedactedReasoning() : default, cancellationToken);
                    break;

                case TextReasoningContent { Text.Length: > 0 } reasoning:
                    _log.AppendReasoning(reasoning.Text);
                    await SendAsync(IsSse ? _frames.Reasoning(reasoning.Text) : default, cancellationToken);
                    break;

                case FunctionCallContent call:
                    _log.ToolCalls++;
                    (_toolNames ??= new())[call.CallId] = call.Name;
                    await SendAsync(IsSse ? _frames.ToolCall(call) : default, cancellationToken);
                    break;

                case FunctionResultContent result:
                    string? name = _toolNames?.GetValueOrDefault(result.CallId);
                    // The tool loop answers a call to a tool that does not exist with a result; for the caller it is an error.
                    string? error = result.Exception?.Message ?? (name is not null && !_offeredTools.Contains(name) ? $"The model called a tool this function does not have: {name}." : null);
                    await SendAsync(IsSse ? _frames.ToolResult(result, name, error) : default, cancellationToken);
                    break;

                case UsageContent usage:
                    _log.AddUsage(usage.Details);
                    break;
            }
        }
    }

    /// <summary>Ends a complete answer: <c>event: done</c> with stop reason, usage and timings (sse); nothing more (text).</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        _log.MarkFirstEvent();
        await StartAsync(cancellationToken);
        if (IsSse)
            await WriteChunkAsync(_frames.Done(_log), cancellationToken);
    }

    /// <summary>
    /// Reports <paramref name="error"/>: as the whole JSON error response before the first content;
    /// afterwards as <c>event: error</c> (sse) or a final <c>[error] type: message</c> line (text).
    /// </summary>
    public async ValueTask FailAsync(HttpError error, CancellationToken cancellationToken)
    {
        if (!HasStarted)
        {
            HasStarted = true;
            await error.ReplyAsync(_response, _log, _corsHeaders, cancellationToken);
            return;
        }

        error.RecordIn(_log);
        await WriteChunkAsync(IsSse ? _frames.Error(error) : Utf8($"\n[error] {error.Type}: {error.Message}\n"), cancellationToken);
    }

    /// <summary>
    /// Sends an SSE comment, so that a front which drops a silent connection (CloudFront's origin read timeout) keeps
    /// this one. Before the model's first content it also starts the response: the status is then 200 for good, and
    /// a failure after that is an <c>event: error</c>. SSE only: in plain text it would be part of the answer.
    /// </summary>
    public async ValueTask HeartbeatAsync(CancellationToken cancellationToken)
    {
        if (!IsSse)
            throw new InvalidOperationException("A heartbeat is an SSE comment: plain text cannot carry one.");
        await StartAsync(cancellationToken);
        await WriteChunkAsync(KeepAlive, cancellationToken);
    }

    private async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        if (HasStarted)
            return;
        HasStarted = true;
        _log.Status = 200;
        LastSentAt = _time.GetTimestamp();
        await _response.StartAsync(200, [.. (IsSse ? SseHeaders : TextHeaders), .. _corsHeaders], cancellationToken);
    }

    // The model has begun: starts the response if needed, then sends data (nothing for an empty frame) as one chunk.
    private async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        _log.MarkFirstEvent();
        await StartAsync(cancellationToken);
        if (!data.IsEmpty)
            await WriteChunkAsync(data, cancellationToken);
    }

    private async ValueTask WriteChunkAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _response.WriteAsync(data, cancellationToken);
        _log.BytesSent += data.Length;
        LastSentAt = _time.GetTimestamp();
    }

    private ReadOnlyMemory<byte> Utf8(string text)
    {
        _text.Clear();
        var span = _text.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        _text.Advance(Encoding.UTF8.GetBytes(text, span));
        return _text.WrittenMemory;
    }

    public void Dispose()
    {
        _frames.Dispose();
        _text.Dispose();
    }
}
