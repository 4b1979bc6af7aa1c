using System.Text;
using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function;

/// <summary>
/// Writes the model's streamed updates as the response: the 200 headers at the first update that carries content,
/// then one chunk per delta, reasoning delta, tool call and tool result (<see cref="SseFrames"/>; only the answer's
/// text for <c>text</c>), and <c>event: done</c> at the end. Before the first content an error becomes a JSON error
/// response with its own status, so a throttled call is a clean 429, not a broken 200.
/// </summary>
internal sealed class AnswerWriter : IAnswerWriter
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
    private readonly SseFrames _frames = new();
    private readonly PooledBufferWriter _text = new();
    private readonly HashSet<string> _offeredTools;
    private Dictionary<string, string>? _toolNames;

    /// <param name="offeredTools">The names of the tools the model was offered: a result for any other call is an error.</param>
    public AnswerWriter(IHttpResponseStream response, ResponseFormat format, InvocationLog log, IEnumerable<string> offeredTools)
    {
        _response = response;
        _format = format;
        _log = log;
        _offeredTools = [.. offeredTools];
    }

    public bool HasStarted { get; private set; }

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
        await StartAsync(cancellationToken);
        if (IsSse)
            await SendAsync(_frames.Done(_log), cancellationToken);
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
            await error.ReplyAsync(_response, _log, cancellationToken);
            return;
        }

        _log.ErrorType ??= error.Type;
        _log.ErrorMessage ??= error.Message;
        await SendAsync(IsSse ? _frames.Error(error) : Utf8($"\n[error] {error.Type}: {error.Message}\n"), cancellationToken);
    }

    private async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        if (HasStarted)
            return;
        HasStarted = true;
        _log.Status = 200;
        _log.MarkFirstEvent();
        await _response.StartAsync(200, IsSse ? SseHeaders : TextHeaders, cancellationToken);
    }

    // Starts the response if needed, then sends data (nothing for an empty frame) as one chunk.
    private async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await StartAsync(cancellationToken);
        if (data.IsEmpty)
            return;
        await _response.WriteAsync(data, cancellationToken);
        _log.BytesSent += data.Length;
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
