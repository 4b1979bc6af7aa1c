using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace BedrockStream.Function.Local;

/// <summary>
/// The Lambda Runtime API (2018-06-01) as one Lambda execution environment serves it to a custom runtime
/// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html), plus what no official emulator does: streamed responses with a prelude,
/// chunks relayed as they arrive, and error trailers (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html#runtimes-custom-response-streaming).
/// </summary>
public sealed class RuntimeApiEmulator : IAsyncDisposable
{
    private const string Base = "/2018-06-01/runtime";
    private readonly InvocationQueue _queue = new();
    private readonly RuntimeEventLog _events;
    private readonly Action<string> _log;
    private readonly TimeSpan _functionTimeout;
    private readonly string _functionArn;
    private readonly object _initErrorGate = new();
    private string? _pendingInitError;
    private WebApplication? _app;

    internal RuntimeApiEmulator(TimeSpan functionTimeout, string functionArn, RuntimeEventLog events, Action<string> log)
    {
        _functionTimeout = functionTimeout;
        _functionArn = functionArn;
        _events = events;
        _log = log;
    }

    /// <summary><c>host:port</c>, the value of <c>AWS_LAMBDA_RUNTIME_API</c>.</summary>
    public string HostAndPort { get; private set; } = "";

    public Uri Endpoint => new($"http://{HostAndPort}/");

    /// <summary>Raised when an invocation overran its deadline: Lambda would stop that environment, the host restarts the function.</summary>
    internal event Action? InvocationTimedOut;

    internal async Task StartAsync(int port, CancellationToken cancellationToken)
    {
        (_app, var actualPort) = await LoopbackServer.StartAsync("Runtime API", port, app =>
        {
            app.MapGet(Base + "/invocation/next", NextAsync);
            app.MapPost(Base + "/invocation/{id}/response", ResponseAsync);
            app.MapPost(Base + "/invocation/{id}/error", ErrorAsync);
            app.MapPost(Base + "/init/error", InitErrorAsync);
        }, cancellationToken);
        HostAndPort = $"127.0.0.1:{actualPort}";
    }

    /// <summary>
    /// Runs one invocation for the Function URL front: queue, hand-out, relay, with every wait bounded by
    /// the function timeout (504 when it never got its turn, 502 when the function overran its deadline).
    /// </summary>
    internal async Task InvokeAsync(string requestId, byte[] payload, IInvocationResponder client)
    {
        string? initError;
        lock (_initErrorGate) { initError = _pendingInitError; _pendingInitError = null; }
        if (initError is not null)
        {
            // "Error will be served in response to the first invoke" (/init/error).
            _log($"[host] request {requestId}: 502, the function failed to initialise: {initError}");
            await client.TryFailAsync(502, FunctionUrlErrors.InternalServerError);
            return;
        }

        var invocation = new PendingInvocation(requestId, payload, client);
        _queue.Enqueue(invocation);
        _events.Add(RuntimeEventKind.InvocationQueued, requestId);
        using var onClientGone = client.ClientAborted.Register(() => OnClientGone(invocation));

        var handedOut = await Task.WhenAny(invocation.HandedOut, Task.Delay(_functionTimeout)) == invocation.HandedOut;
        if (!handedOut && _queue.TryRemoveQueued(invocation) && invocation.TryEnd())
        {
            _events.Add(RuntimeEventKind.QueueTimedOut, requestId);
            _log($"[host] request {requestId}: 504, waited {_functionTimeout.TotalSeconds:0.#} s and the function never took it (busy or not polling)");
            await client.TryFailAsync(504, FunctionUrlErrors.Timeout);
            invocation.Signal();
            return;
        }
        await invocation.HandedOut; // handed out, or ended by someone else (who signals once the client is answered)

        var remaining = invocation.Deadline - DateTimeOffset.UtcNow;
        var finished = invocation.Done.IsCompleted
            || await Task.WhenAny(invocation.Done, Task.Delay(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero)) == invocation.Done;
        if (!finished && invocation.TryEnd())
        {
            // Lambda stops the environment at the deadline ("Task timed out"); the function's own
            // deadline handling should have ended the stream before .
            _events.Add(RuntimeEventKind.InvocationTimedOut, requestId);
            _log($"[host] request {requestId}: Task timed out after {_functionTimeout.TotalSeconds:0.##} seconds; restarting the function");
            invocation.Abort();
            await FailOrAbortAsync(client);
            invocation.Signal();
            _queue.Release(invocation);
            InvocationTimedOut?.Invoke();
            return;
        }
        // Whoever ended it is answering the client; give them a moment to finish before the handler returns.
        await invocation.Done.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>The function process exited: an invocation it was serving fails like Runtime.ExitError.</summary>
    internal void OnFunctionExited(int exitCode)
    {
        if (_queue.InFlight is not { } invocation || !invocation.TryEnd()) return;
        _log($"[host] request {invocation.RequestId}: the function exited (code {exitCode}) during the invocation (Runtime.ExitError)");
        _events.Add(RuntimeEventKind.ResponseFailed, invocation.RequestId, errorType: "Runtime.ExitError", detail: $"exit code {exitCode}");
        invocation.Abort();
        _queue.Release(invocation);
        _ = FailOrAbortAsync(invocation.Responder).ContinueWith(_ => invocation.Signal(), TaskScheduler.Default);
    }

    private static async Task FailOrAbortAsync(IInvocationResponder client)
    {
        if (!await client.TryFailAsync(502, FunctionUrlErrors.InternalServerError)) client.Abort();
    }

    private void OnClientGone(PendingInvocation invocation)
    {
        if (_queue.TryRemoveQueued(invocation))
        {
            invocation.TryFinish();
            _events.Add(RuntimeEventKind.ClientDisconnected, invocation.RequestId, detail: "while queued");
            return;
        }
        if (invocation.Done.IsCompleted) return;
        // The function keeps running (as on Lambda), but its response connection is cut so its next
        // write fails instead of streaming into the void.
        _events.Add(RuntimeEventKind.ClientDisconnected, invocation.RequestId, detail: "function response connection aborted");
        _log($"[host] request {invocation.RequestId}: the client disconnected; aborting the function's response stream");
        invocation.Abort();
    }

    private async Task NextAsync(HttpContext context)
    {
        _events.Add(RuntimeEventKind.NextPolled);
        PendingInvocation invocation;
        try
        {
            invocation = await _queue.TakeAsync(() => DateTimeOffset.UtcNow + _functionTimeout, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return; // the function (or the host) went away while polling
        }

        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        response.Headers[RuntimeApiHeaders.RequestId] = invocation.RequestId;
        response.Headers[RuntimeApiHeaders.DeadlineMs] = invocation.Deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        response.Headers[RuntimeApiHeaders.InvokedFunctionArn] = _functionArn;
        response.Headers[RuntimeApiHeaders.TraceId] = NewTraceId();
        response.ContentLength = invocation.Payload.Length;
        try
        {
            await response.Body.WriteAsync(invocation.Payload, context.RequestAborted);
            await response.CompleteAsync();
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            _queue.PutBack(invocation);
            return;
        }
        _events.Add(RuntimeEventKind.InvocationHandedOut, invocation.RequestId);
    }

    private async Task ResponseAsync(HttpContext context, string id)
    {
        if (!TryClaim(id, out var invocation))
        {
            await RejectAsync(context, id);
            return;
        }
        var client = invocation.Responder;
        // Client gone or deadline passed: cutting the function's connection makes its writes fail.
        using var abortFunction = invocation.Aborted.Register(context.Abort);
        var streaming = string.Equals(context.Request.Headers[RuntimeApiHeaders.ResponseMode], RuntimeApiHeaders.StreamingResponseMode, StringComparison.OrdinalIgnoreCase);

        RelayOutcome outcome;
        try
        {
            outcome = streaming
                ? await ResponseRelay.RelayStreamingAsync(context.Request, new ObservedResponder(client, _events, id), invocation.Aborted)
                : await ResponseRelay.RelayBufferedAsync(context.Request, new ObservedResponder(client, _events, id), invocation.Aborted);
        }
        finally
        {
            if (invocation.TryFinish()) _queue.Release(invocation);
        }

        if (outcome.ErrorType is not null || outcome.ErrorBody is not null)
        {
            _events.Add(RuntimeEventKind.TrailersReceived, id, errorType: outcome.ErrorType, errorBody: outcome.ErrorBody, bytes: outcome.BodyBytes);
            _log($"[host] request {id}: the stream ended with error trailers after {outcome.BodyBytes} bytes: {outcome.ErrorType}: {OneLine(outcome.ErrorBody)}");
        }
        if (!outcome.Succeeded)
        {
            _events.Add(RuntimeEventKind.ResponseFailed, id, detail: outcome.Failure, bytes: outcome.BodyBytes);
            _log($"[host] request {id}: {outcome.Failure} ({outcome.BodyBytes} body bytes relayed)");
            context.Abort();
            return;
        }
        _events.Add(RuntimeEventKind.ResponseCompleted, id, bytes: outcome.BodyBytes, detail: streaming ? "streaming" : "buffered");
        await AcceptAsync(context);
    }

    private async Task ErrorAsync(HttpContext context, string id)
    {
        if (!TryClaim(id, out var invocation))
        {
            await RejectAsync(context, id);
            return;
        }
        var (type, body) = await ReadErrorAsync(context);
        try
        {
            _events.Add(RuntimeEventKind.InvocationError, id, 502, type, body);
            _log($"[host] request {id}: 502, the function reported {type}: {ErrorMessage(body)}");
            await invocation.Responder.TryFailAsync(502, FunctionUrlErrors.InternalServerError);
        }
        finally
        {
            if (invocation.TryFinish()) _queue.Release(invocation);
        }
        await AcceptAsync(context);
    }

    private async Task InitErrorAsync(HttpContext context)
    {
        var (type, body) = await ReadErrorAsync(context);
        _events.Add(RuntimeEventKind.InitError, errorType: type, errorBody: body);
        _log($"[host] the function failed to initialise: {type}: {ErrorMessage(body)}");
        if (_queue.TryTakeQueued() is { } waiting && waiting.TryEnd())
        {
            _log($"[host] request {waiting.RequestId}: 502 (init error)");
            await waiting.Responder.TryFailAsync(502, FunctionUrlErrors.InternalServerError);
            waiting.Signal();
        }
        else
        {
            lock (_initErrorGate) _pendingInitError = $"{type}: {ErrorMessage(body)}";
        }
        await AcceptAsync(context);
    }

    private bool TryClaim(string id, out PendingInvocation invocation)
    {
        invocation = _queue.InFlight!;
        return invocation is not null && invocation.RequestId == id && invocation.TryBeginResponse();
    }

    private static async Task RejectAsync(HttpContext context, string id)
    {
        // Unknown, finished or timed-out request id: what Lambda answers with 400 InvalidRequestID.
        context.Response.StatusCode = 400;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync($"{{\"errorMessage\":\"Invalid request ID: {JsonEncodedText.Encode(id)}\",\"errorType\":\"InvalidRequestID\"}}");
    }

    private static async Task AcceptAsync(HttpContext context)
    {
        context.Response.StatusCode = 202;
        context.Response.ContentType = "application/json";
        try { await context.Response.WriteAsync("{\"status\":\"OK\"}"); }
        catch (Exception ex) when (ex is IOException or OperationCanceledException) { }
    }

    private static async Task<(string Type, string Body)> ReadErrorAsync(HttpContext context)
    {
        var type = context.Request.Headers[RuntimeApiHeaders.ErrorType].ToString();
        string body;
        try { body = Encoding.UTF8.GetString(await ResponseRelay.ReadAllAsync(context.Request.Body, 1024 * 1024, context.RequestAborted)); }
        catch (Exception ex) when (ex is IOException or InvalidDataException or BadHttpRequestException or OperationCanceledException) { body = ""; }
        if (type.Length == 0) type = "Unhandled";
        return (type, body);
    }

    /// <summary>The <c>errorMessage</c> of Lambda's error JSON, or the body itself.</summary>
    internal static string ErrorMessage(string? body)
    {
        if (string.IsNullOrEmpty(body)) return "(no details)";
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("errorMessage", out var m))
                return m.ToString();
        }
        catch (JsonException) { }
        return OneLine(body);
    }

    private static string OneLine(string? text) => (text ?? "").ReplaceLineEndings(" ");

    /// <summary>An X-Ray header as Lambda sends it: <c>Root=1-{epoch hex}-{96-bit id};Parent={64-bit id};Sampled=0</c>.</summary>
    private static string NewTraceId()
    {
        var epoch = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString("x8", CultureInfo.InvariantCulture);
        return $"Root=1-{epoch}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant()};Parent={Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant()};Sampled=0";
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }

    /// <summary>Logs the moment the prelude went to the client.</summary>
    private sealed class ObservedResponder(IInvocationResponder inner, RuntimeEventLog events, string requestId) : IInvocationResponder
    {
        public bool HasStarted => inner.HasStarted;
        public CancellationToken ClientAborted => inner.ClientAborted;
        public bool AcceptsOnlyStringHeaders => inner.AcceptsOnlyStringHeaders;

        public async Task StartAsync(int statusCode, IReadOnlyList<KeyValuePair<string, string>> headers, IReadOnlyList<string> cookies, CancellationToken cancellationToken)
        {
            await inner.StartAsync(statusCode, headers, cookies, cancellationToken);
            events.Add(RuntimeEventKind.ResponseStarted, requestId, statusCode);
        }

        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => inner.WriteAsync(data, cancellationToken);
        public Task<bool> TryFailAsync(int statusCode, string jsonBody) => inner.TryFailAsync(statusCode, jsonBody);
        public void Abort() => inner.Abort();
    }
}
