using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace BedrockStream.Function.Local;

/// <summary>
/// A fake Bedrock Runtime serving <c>POST /model/{modelId}/converse-stream</c>: it checks the SigV4 signature
/// and the request (<see cref="FakeConverseRequest"/>), then streams real event-stream frames at a steady token
/// rate, one write and flush per frame (<see cref="FakeAnswerPlan"/>: reasoning, text, tool use, usage with prompt-cache
/// counts), or injects the failure asked for (<see cref="FakeFault"/>).
/// </summary>
public sealed class FakeBedrock : IAsyncDisposable
{
    private readonly FakeModel _model;
    private readonly Action<string> _log;
    private WebApplication? _app;
    private CancellationToken _stopping;

    internal FakeBedrock(FakeModel model, Action<string> log)
    {
        _model = model;
        _log = log;
    }

    internal async Task StartAsync(int port, CancellationToken cancellationToken)
    {
        (_app, var actualPort) = await LoopbackServer.StartAsync("fake Bedrock model", port, app => app.Run(HandleAsync), cancellationToken);
        _stopping = _app.Lifetime.ApplicationStopping;
        _model.Endpoint = new Uri($"http://127.0.0.1:{actualPort}");
    }

    private async Task HandleAsync(HttpContext context)
    {
        var received = Stopwatch.GetTimestamp();
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
        var rawPath = rawTarget.Split('?', 2)[0];
        var rawQuery = rawTarget.Contains('?') ? rawTarget.Split('?', 2)[1] : "";
        var segments = rawPath.Split('/');
        var body = await ResponseRelay.ReadAllAsync(context.Request.Body, 16 * 1024 * 1024, context.RequestAborted);
        var isConverseStream = HttpMethods.IsPost(context.Request.Method) && segments.Length == 4 && segments[1] == "model" && segments[3] == "converse-stream";

        var record = new FakeModelRequest(isConverseStream ? Uri.UnescapeDataString(segments[2]) : rawPath, Encoding.UTF8.GetString(body), received);
        _model.Record(record);
        try
        {
            if (!isConverseStream)
            {
                await ErrorAsync(context, record, 404, "UnknownOperationException", $"No operation at {context.Request.Method} {rawPath}");
                return;
            }

            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            record.SignatureError = SigV4Verifier.Verify(context.Request.Method, rawPath, rawQuery, headers, body,
                _model.AccessKeyId, _model.SecretAccessKey, _model.Region, "bedrock", _model.SessionToken);
            if (record.SignatureError is not null)
            {
                var code = headers.ContainsKey("authorization") ? "InvalidSignatureException" : "MissingAuthenticationTokenException";
                _log($"[fake-model] 403 {code}: {record.SignatureError}");
                await ErrorAsync(context, record, 403, code, record.SignatureError);
                return;
            }

            if (!FakeConverseRequest.TryParse(body, record.ModelId, out var request, out var rejection))
            {
                _log($"[fake-model] {rejection!.Status} {rejection.Code}: {rejection.Message}");
                await ErrorAsync(context, record, rejection.Status, rejection.Code, rejection.Message);
                return;
            }
            record.Request = request;
            record.Prompt = request.Prompt;
            // Directives are read from the latest user text; a fault in it applies to that turn only, not to the
            // tool-loop continuations that repeat it (inject those with FakeModel.NextFault).
            var promptTurn = request.Messages.LastOrDefault(m => m.Role == "user" && m.Blocks.Any(b => b.Kind == "text"));
            var directives = FakeAnswer.ParseDirectives(promptTurn is null ? "" : string.Join("\n", promptTurn.Blocks.Where(b => b.Kind == "text").Select(b => b.Text)));
            bool continuation = request.ToolResults.Count > 0;
            record.Fault = FakeFault.TryParse(context.Request.Headers["x-fake-fault"], out var headerFault) ? headerFault
                : _model.TakeNextFault() ?? (continuation ? null : directives.Fault);

            if (record.Fault is { IsHttpError: true } httpFault)
            {
                await HttpFaultAsync(context, record, httpFault);
                return;
            }
            await StreamAsync(context, record, FakeAnswerPlan.For(request, directives, _model));
        }
        finally
        {
            record.Complete();
        }
    }

    private async Task StreamAsync(HttpContext context, FakeModelRequest record, FakeAnswerPlan plan)
    {
        var fault = record.Fault;
        var response = context.Response;
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        response.StatusCode = 200;
        record.StatusCode = 200;
        response.ContentType = "application/vnd.amazon.eventstream";
        response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping);
        var ct = cts.Token;
        var answer = new StringBuilder();
        var started = Stopwatch.GetTimestamp();
        try
        {
            await WriteFrameAsync(response, record, "messageStart", EventStreamFrames.MessageStart(), ct);

            // Steady pacing: token i is due at start + i/rate on the Stopwatch clock, so delays do not add up.
            var interval = _model.TokenRate > 0 ? Stopwatch.Frequency / _model.TokenRate : 0;
            var schedule = Stopwatch.GetTimestamp();
            int paced = 0, answerTokens = 0;
            bool stopped = false;
            foreach (var frame in plan.Frames)
            {
                if (frame.AnswerToken && fault is not null && fault.Kind != FakeFaultKind.Guardrail && answerTokens >= fault.AfterTokens)
                {
                    stopped = true;
                    break;
                }
                if (frame.Paced)
                {
                    var due = schedule + (long)(paced++ * interval);
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                    if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
                }
                var bytes = frame.Bytes;
                bool lastBeforeFault = frame.AnswerToken && fault?.Kind == FakeFaultKind.BadCrc && answerTokens + 1 == fault.AfterTokens;
                if (lastBeforeFault) bytes = EventStreamFrames.WithBadCrc(bytes);
                await WriteFrameAsync(response, record, frame.Type, bytes, ct, frame.Text);
                if (frame.AnswerToken)
                {
                    answer.Append(frame.Text);
                    answerTokens++;
                    if (fault?.Kind == FakeFaultKind.Guardrail && answerTokens >= fault.AfterTokens)
                    {
                        stopped = true;
                        break;
                    }
                }
            }
            record.AnswerText = answer.ToString();

            if (stopped || fault is { Kind: not FakeFaultKind.Guardrail })
            {
                switch (fault?.Kind)
                {
                    case FakeFaultKind.StreamThrottling:
                        await WriteFrameAsync(response, record, "throttlingException", EventStreamFrames.Exception("throttlingException", "Too many tokens, please wait before trying again."), ct);
                        return;
                    case FakeFaultKind.StreamModelError:
                        await WriteFrameAsync(response, record, "modelStreamErrorException", EventStreamFrames.Exception("modelStreamErrorException", "Model Stream Error", 500), ct);
                        return;
                    case FakeFaultKind.StreamInternalServer:
                        await WriteFrameAsync(response, record, "internalServerException", EventStreamFrames.Exception("internalServerException", "The server encountered an internal error."), ct);
                        return;
                    case FakeFaultKind.StreamValidation:
                        await WriteFrameAsync(response, record, "validationException", EventStreamFrames.Exception("validationException", "The model returned an invalid response."), ct);
                        return;
                    case FakeFaultKind.StreamServiceUnavailable:
                        await WriteFrameAsync(response, record, "serviceUnavailableException", EventStreamFrames.Exception("serviceUnavailableException", "The service is temporarily unavailable."), ct);
                        return;
                    case FakeFaultKind.BadCrc:
                    case FakeFaultKind.NoMessageStop:
                        return; // the body just ends
                    case FakeFaultKind.ConnectionReset:
                        // A reset discards what the peer has not read yet; one token slot (at least 50 ms) lets the
                        // tokens already sent reach the caller first, so the reset really happens mid-stream.
                        await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(50, interval * 1000.0 / Stopwatch.Frequency)), ct);
                        context.Abort();
                        return;
                    case FakeFaultKind.Stall:
                        // Keep the connection open and silent until the caller gives up (or the host stops).
                        await Task.Delay(Timeout.Infinite, ct);
                        return;
                }
            }

            var stopReason = fault?.Kind == FakeFaultKind.Guardrail ? "guardrail_intervened" : plan.StopReason;
            if (plan.OpenBlock is { } open)
                await WriteFrameAsync(response, record, "contentBlockStop", EventStreamFrames.ContentBlockStop(open), ct);
            await WriteFrameAsync(response, record, "messageStop", EventStreamFrames.MessageStop(stopReason), ct);
            var latencyMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var usage = plan.Usage;
            await WriteFrameAsync(response, record, "metadata",
                EventStreamFrames.Metadata(usage.InputTokens, usage.OutputTokens, latencyMs, usage.CacheReadInputTokens, usage.CacheWriteInputTokens), ct);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The function (or the host) went away mid-stream.
        }
    }

    private static async Task WriteFrameAsync(HttpResponse response, FakeModelRequest record, string type, byte[] frame, CancellationToken ct, string? text = null)
    {
        record.AddFrame(new FakeFrame(type, Stopwatch.GetTimestamp(), frame.Length, text));
        var result = await response.BodyWriter.WriteAsync(frame, ct); // one frame, one flush
        if (result.IsCompleted) throw new IOException("The caller closed the connection.");
    }

    private static Task HttpFaultAsync(HttpContext context, FakeModelRequest record, FakeFault fault) => fault.Kind switch
    {
        FakeFaultKind.Validation => ErrorAsync(context, record, 400, "ValidationException", "The provided model identifier is invalid."),
        FakeFaultKind.AccessDenied => ErrorAsync(context, record, 403, "AccessDeniedException", "You don't have access to the model with the specified model ID."),
        FakeFaultKind.NotFound => ErrorAsync(context, record, 404, "ResourceNotFoundException", "Model not found."),
        FakeFaultKind.Throttling => ErrorAsync(context, record, 429, "ThrottlingException", "Too many requests, please wait before trying again.", retryAfter: "2"),
        FakeFaultKind.ThrottlingNoRetryAfter => ErrorAsync(context, record, 429, "ThrottlingException", "Too many requests, please wait before trying again."),
        FakeFaultKind.InternalServer => ErrorAsync(context, record, 500, "InternalServerException", "The server encountered an internal error."),
        _ => ErrorAsync(context, record, 503, "ServiceUnavailableException", "The service is temporarily unavailable."),
    };

    /// <summary>An error before the stream: status, <c>x-amzn-ErrorType: Code:namespace</c>, <c>{"message"}</c>.</summary>
    private static async Task ErrorAsync(HttpContext context, FakeModelRequest record, int status, string code, string message, string? retryAfter = null)
    {
        record.StatusCode = status;
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.Headers["x-amzn-ErrorType"] = code + ":http://internal.amazon.com/coral/com.amazon.bedrock/";
        response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        if (retryAfter is not null) response.Headers.RetryAfter = retryAfter;
        await response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string> { ["message"] = message }));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}
