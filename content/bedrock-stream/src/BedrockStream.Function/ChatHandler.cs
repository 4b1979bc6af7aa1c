using BedrockStream.Function.Runtime;
using BedrockStream.Function.Tools;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function;

/// <summary>
/// One invocation: request → conversation → the model's streamed updates → events on the response → one log line.
/// Nothing is sent before the model's first content, so an early failure is still a clean HTTP error; a model call
/// that is throttled before it starts is retried within the deadline; a model that keeps calling tools is stopped
/// after <c>MAX_TOOL_ROUNDS</c> turns; a quiet answer gets heartbeats where the front needs them (<see cref="Heartbeats"/>).
/// The request comes from a Function URL or a REST API (<see cref="HttpRequestEvent"/>); the response format
/// (<c>RESPONSE_FORMAT</c>) reads it and writes the answer: <see cref="SseTextProtocol"/> for <c>sse</c> and <c>text</c>,
/// and, in a project generated with <c>--format openai</c>, its <c>OpenAi</c> folder for <c>openai</c>.
/// </summary>
public sealed partial class ChatHandler
{
    private readonly FunctionSettings _settings;
    private readonly IChatClient _chat;
    private readonly TextWriter _log;
    private readonly TimeProvider _time;
    private readonly RetryPolicy _retry;
    private readonly IList<AITool> _tools;
    private readonly IChatProtocol _protocol;

    /// <param name="chat">The model, as a Microsoft.Extensions.AI pipeline (Program.cs builds it).</param>
    /// <param name="log">Where the invocation's JSON log line goes (standard output in Lambda).</param>
    /// <param name="tools">The tools offered to the model; null: <see cref="FunctionTools.All"/>.</param>
    public ChatHandler(FunctionSettings settings, IChatClient chat, TextWriter log, IEnumerable<AITool>? tools = null, TimeProvider? time = null)
        : this(settings, chat, log, tools, time ?? TimeProvider.System, retry: null)
    {
    }

    internal ChatHandler(FunctionSettings settings, IChatClient chat, TextWriter log, IEnumerable<AITool>? tools, TimeProvider time, RetryPolicy? retry)
    {
        _settings = settings;
        _chat = chat;
        _log = log;
        _time = time;
        _retry = retry ?? new RetryPolicy(time);
        _tools = [.. tools ?? FunctionTools.All];
        _protocol = settings.Format == ResponseFormat.OpenAi ? OpenAiProtocol(settings, time) : new SseTextProtocol(settings, _tools, time);
    }

    /// <summary>OpenAI's Chat Completions (<c>OpenAi/</c>, in projects generated with <c>--format openai</c>).</summary>
    private static IChatProtocol OpenAiProtocol(FunctionSettings settings, TimeProvider time)
    {
        IChatProtocol? protocol = null;
        UseOpenAiProtocol(settings, time, ref protocol);
        return protocol ?? throw new ConfigurationException(
            "RESPONSE_FORMAT is 'openai', but this project was generated without the OpenAi/ folder: set RESPONSE_FORMAT to sse or text, or generate the project with --format openai.");
    }

    /// <summary>Implemented in <c>OpenAi/</c> only: without that folder the compiler removes the call.</summary>
    static partial void UseOpenAiProtocol(FunctionSettings settings, TimeProvider time, ref IChatProtocol? protocol);

    public async Task HandleAsync(Invocation invocation, IHttpResponseStream response, CancellationToken cancellationToken)
    {
        var record = new InvocationLog(invocation.RequestId, _settings.ModelId, _settings.LogContent, _time);
        try
        {
            if (await _protocol.ReadAsync(invocation.Payload, response, record, cancellationToken) is not (var request, var writer))
                return;   // answered without the model: a 4xx, a CORS preflight's 204 (or, for openai, the model list)

            using var answer = writer;
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

    /// <summary>
    /// The options of the model calls: what the caller asked for, within the function's limits. The reasoning effort
    /// is the caller's only when it is lower than <c>REASONING_EFFORT</c>: a caller can save reasoning tokens, not spend more.
    /// </summary>
    private ChatOptions Options(ChatRequest request)
    {
        var effort = request.Reasoning is { } asked && asked < _settings.ReasoningEffort ? asked : _settings.ReasoningEffort;
        return new ChatOptions
        {
            MaxOutputTokens = request.MaxTokens,
            Temperature = request.Temperature,
            TopP = request.TopP,
            StopSequences = request.StopSequences,
            Reasoning = effort == ReasoningEffort.None ? null : new ReasoningOptions { Effort = effort },
            // The caller's tools (openai: declarations the client runs itself), else the function's own.
            Tools = (request.Tools ?? _tools) is { Count: > 0 } tools ? tools : null,
            ToolMode = request.ToolMode,
        };
    }

    private async Task StreamAnswerAsync(ChatRequest request, IAnswerWriter answer, InvocationLog record, Deadline deadline, CancellationToken cancellationToken)
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

                var toolTurns = new HashSet<string?>();
                await foreach (var update in _chat.GetStreamingResponseAsync(request.Messages, options, deadline.Token).KeepAlive(answer, _settings, _time, deadline.Token))
                {
                    // Each model turn has its own message id; a turn with tool calls is a tool round.
                    if (update.Contents.Any(c => c is FunctionCallContent) && toolTurns.Add(update.MessageId) && toolTurns.Count > _settings.MaxToolRounds)
                    {
                        // Leaving the loop ends the tool loop's stream: these calls are not run, no further turn is asked for.
                        await answer.FailAsync(HttpError.ToolLoopLimit(_settings.MaxToolRounds), cancellationToken);
                        return;
                    }

                    await answer.WriteAsync(update, cancellationToken);
                }

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
                answer.Restart();
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
