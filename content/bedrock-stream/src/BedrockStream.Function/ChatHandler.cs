using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function;

/// <summary>
/// One invocation: request → conversation → the model's streamed updates → events on the response → one log line.
/// Nothing is sent before the model's first content, so an early failure is still a clean HTTP error; a model call
/// that is throttled before it starts is retried within the deadline.
/// </summary>
public sealed class ChatHandler
{
    private readonly FunctionSettings _settings;
    private readonly IChatClient _chat;
    private readonly TextWriter _log;
    private readonly TimeProvider _time;
    private readonly RetryPolicy _retry;
    private readonly ChatRequestParser _parser;

    /// <param name="chat">The model, as a Microsoft.Extensions.AI pipeline (Program.cs builds it).</param>
    /// <param name="log">Where the invocation's JSON log line goes (standard output in Lambda).</param>
    public ChatHandler(FunctionSettings settings, IChatClient chat, TextWriter log, TimeProvider? time = null)
        : this(settings, chat, log, time ?? TimeProvider.System, retry: null)
    {
    }

    internal ChatHandler(FunctionSettings settings, IChatClient chat, TextWriter log, TimeProvider time, RetryPolicy? retry)
    {
        _settings = settings;
        _chat = chat;
        _log = log;
        _time = time;
        _retry = retry ?? new RetryPolicy(time);
        _parser = new ChatRequestParser(settings);
    }

    public async Task HandleAsync(Invocation invocation, IHttpResponseStream response, CancellationToken cancellationToken)
    {
        var record = new InvocationLog(invocation.RequestId, _settings.ModelId, _settings.LogContent, _time);
        using var answer = new AnswerWriter(response, _settings.Format, record);
        try
        {
            if (!_parser.TryParse(invocation.Payload.Span, out var request, out var invalid))
            {
                await answer.FailAsync(invalid, cancellationToken);   // 4xx, the model is not called
                return;
            }

            record.Prompt = request.Messages[^1].Text;
            using var deadline = new Deadline(invocation.Deadline, _settings.DeadlineMargin, _time, cancellationToken);
            await StreamAnswerAsync(request, answer, record, deadline, cancellationToken);
        }
        catch (Exception e) when (record.ErrorType is null)
        {
            record.SetError(e);
            throw;
        }
        finally
        {
            record.WriteTo(_log);
        }
    }

    /// <summary>The options of one model call: what the caller asked for, within the function's limits.</summary>
    private static ChatOptions Options(ChatRequest request) => new()
    {
        MaxOutputTokens = request.MaxTokens,
        Temperature = request.Temperature,
    };

    private async Task StreamAnswerAsync(ChatRequest request, AnswerWriter answer, InvocationLog record, Deadline deadline, CancellationToken cancellationToken)
    {
        var options = Options(request);
        var wait = TimeSpan.Zero;
        for (int retries = 0; ; retries++)
        {
            try
            {
                if (wait > TimeSpan.Zero)
                    await _retry.WaitAsync(wait, deadline.Token);
                deadline.Token.ThrowIfCancellationRequested();

                await foreach (var update in _chat.GetStreamingResponseAsync(request.Messages, options, deadline.Token).WithCancellation(deadline.Token))
                    await answer.WriteAsync(update, cancellationToken);
                await answer.CompleteAsync(cancellationToken);
                return;
            }
            catch (Exception) when (deadline.Expired && !cancellationToken.IsCancellationRequested)
            {
                await answer.FailAsync(HttpError.Timeout(), cancellationToken);   // 504, or a Timeout event mid-stream
                return;
            }
            catch (ModelException e) when (!answer.HasStarted && _retry.ShouldRetry(retries, e, deadline.At, out wait))
            {
                record.Retries++;   // throttled or unavailable before the first byte: back off, try again
            }
            catch (ModelException e) when (!answer.HasStarted)
            {
                record.SetError(e);
                await answer.FailAsync(ModelErrorMapping.ToHttpError(e), cancellationToken);   // mapped JSON error
                return;
            }
            catch (Exception e) when (answer.HasStarted && e is not OperationCanceledException)
            {
                record.SetError(e);
                await answer.TryFailMidStreamAsync(e is ModelException m ? ModelErrorMapping.ToHttpError(m) : ModelErrorMapping.Internal(e), cancellationToken);
                throw;   // the runtime ends the stream with Lambda's error trailers
            }
        }
    }
}
