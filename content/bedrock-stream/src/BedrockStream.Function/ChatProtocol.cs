using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function;

/// <summary>
/// A response format's two halves: how an invocation's request is read and how the answer to it is written.
/// <c>sse</c> and <c>text</c> are <see cref="SseTextProtocol"/>; <c>openai</c> (OpenAI's Chat Completions) is in the <c>OpenAi</c> folder of a project generated with <c>--format openai</c>.
/// </summary>
internal interface IChatProtocol
{
    /// <summary>
    /// Reads the invocation's event. Null when the protocol answered it without the model: a client error, or a
    /// request that needs no model (OpenAI's <c>GET /v1/models</c>).
    /// </summary>
    ValueTask<ChatExchange?> ReadAsync(ReadOnlyMemory<byte> payload, IHttpResponseStream response, InvocationLog log, CancellationToken cancellationToken);
}

/// <summary>A request for the model and the writer of its answer.</summary>
internal sealed record ChatExchange(ChatRequest Request, IAnswerWriter Answer);

/// <summary>Writes the model's streamed updates as the response, in one format.</summary>
internal interface IAnswerWriter : IDisposable
{
    /// <summary>True once the model's answer has begun on the wire: from then on an error can only end the stream.</summary>
    bool HasStarted { get; }

    /// <summary>When the caller last received something (<see cref="TimeProvider.GetTimestamp"/>); before that, when the invocation began.</summary>
    long LastSentAt { get; }

    /// <summary>
    /// Keeps a quiet connection alive with something every client skips (<see cref="Heartbeats"/>); before the model's
    /// first content it also starts the response with a 200.
    /// </summary>
    ValueTask HeartbeatAsync(CancellationToken cancellationToken);

    /// <summary>Writes what <paramref name="update"/> carries, and records its stop reason and usage.</summary>
    ValueTask WriteAsync(ChatResponseUpdate update, CancellationToken cancellationToken);

    /// <summary>Ends a complete answer.</summary>
    ValueTask CompleteAsync(CancellationToken cancellationToken);

    /// <summary>Reports <paramref name="error"/>: the whole response before the answer has begun, its last event afterwards.</summary>
    ValueTask FailAsync(HttpError error, CancellationToken cancellationToken);

    /// <summary>Forgets what a model call that failed before the answer began had produced: the call is tried again.</summary>
    void Restart()
    {
    }

    /// <summary>Writes the error event after a failure mid-stream; a broken response must not hide the original failure.</summary>
    async ValueTask TryFailMidStreamAsync(HttpError error, CancellationToken cancellationToken)
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
}

/// <summary>The function's own formats: <see cref="ChatRequestParser"/> reads the request, <see cref="AnswerWriter"/> writes SSE or text.</summary>
internal sealed class SseTextProtocol(FunctionSettings settings, IEnumerable<AITool> tools, TimeProvider time) : IChatProtocol
{
    private readonly ChatRequestParser _parser = new(settings);
    private readonly KeyValuePair<string, string>[] _corsHeaders = CorsHeaders(settings.CorsAllowOrigin);

    /// <summary><c>Access-Control-Allow-Origin</c> for every response when <c>CORS_ALLOW_ORIGIN</c> is set, else none.</summary>
    public static KeyValuePair<string, string>[] CorsHeaders(string? origin) =>
        origin is null ? [] : [new("Access-Control-Allow-Origin", origin)];

    public async ValueTask<ChatExchange?> ReadAsync(ReadOnlyMemory<byte> payload, IHttpResponseStream response, InvocationLog log, CancellationToken cancellationToken)
    {
        if (!_parser.TryParse(payload.Span, out var request, out var invalid))
        {
            await invalid.ReplyAsync(response, log, _corsHeaders, cancellationToken);   // 4xx (or a CORS preflight's 204), the model is not called
            return null;
        }

        return new ChatExchange(request, new AnswerWriter(response, settings.Format, log, tools.Select(t => t.Name), time, settings.CorsAllowOrigin));
    }
}
