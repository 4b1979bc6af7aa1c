namespace BedrockStream.Function;

/// <summary>
/// One invocation: request → validation → model stream → framed response → one log line.
/// Nothing is sent before the model's first event, so an early failure is still a clean HTTP error.
/// </summary>
public sealed class StreamingHandler
{
    private readonly FunctionSettings _settings;
    private readonly IChatModel _model;
    private readonly TextWriter _log;
    private readonly TimeProvider _time;
    private readonly RetryPolicy _retry;
    private readonly ChatRequestParser _parser;

    public StreamingHandler(FunctionSettings settings, IChatModel model, TextWriter log, TimeProvider? time = null)
        : this(settings, model, log, time ?? TimeProvider.System, retry: null)
    {
    }

    internal StreamingHandler(FunctionSettings settings, IChatModel model, TextWriter log, TimeProvider time, RetryPolicy? retry)
    {
        _settings = settings;
        _model = model;
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

            record.Prompt = request.Messages[^1].Content;
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

    private async Task StreamAnswerAsync(ChatRequest request, AnswerWriter answer, InvocationLog record, Deadline deadline, CancellationToken cancellationToken)
    {
        var wait = TimeSpan.Zero;
        for (int retries = 0; ; retries++)
        {
            try
            {
                if (wait > TimeSpan.Zero)
                    await _retry.WaitAsync(wait, deadline.Token);
                deadline.Token.ThrowIfCancellationRequested();

                await foreach (var modelEvent in _model.StreamAsync(request, deadline.Token).WithCancellation(deadline.Token))
                    await answer.OnEventAsync(modelEvent, cancellationToken);
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
