using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace BedrockStream.Function.Local;

/// <summary>
/// What a caller of the deployed front talks to (<see cref="FrontKind"/>). As a Function URL (InvokeMode RESPONSE_STREAM)
/// any method and path becomes a payload-2.0 event for the function; as a REST API the root path becomes a payload-1.0
/// event, after the API key check; as CloudFront a 2.0 event, after the body-hash check that Origin Access Control
/// makes Lambda do. The streamed answer comes back chunk by chunk. Two paths are the host's own: the chat page at
/// <c>GET /</c> and <c>/_local/*</c>.
/// </summary>
public sealed class FunctionUrlFront : IAsyncDisposable
{
    /// <summary>A Function URL rejects request payloads over 6 MB before invoking anything.</summary>
    private const int MaxRequestBytes = 6 * 1024 * 1024;

    private readonly RuntimeApiEmulator _emulator;
    private readonly LocalStatus _status;
    private readonly Action<string> _log;
    private WebApplication? _app;

    internal FunctionUrlFront(RuntimeApiEmulator emulator, LocalStatus status, Action<string> log, FrontKind kind = FrontKind.FunctionUrl, string? apiKey = null)
    {
        _emulator = emulator;
        _status = status;
        _log = log;
        Kind = kind;
        ApiKey = kind == FrontKind.RestApi ? apiKey : null;
    }

    /// <summary>Which front this plays.</summary>
    public FrontKind Kind { get; }

    /// <summary>The key a REST API front requires in <c>x-api-key</c>; null: none.</summary>
    public string? ApiKey { get; }

    public Uri Url { get; private set; } = new("http://127.0.0.1/");

    internal async Task StartAsync(int port, CancellationToken cancellationToken)
    {
        (_app, var actualPort) = await LoopbackServer.StartAsync(FrontRules.Label(Kind) + " front", port, app => app.Run(HandleAsync), cancellationToken);
        Url = new Uri($"http://127.0.0.1:{actualPort}/");
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) && request.Path == "/" && !request.QueryString.HasValue)
        {
            await ChatPage.WriteAsync(context.Response);
            return;
        }
        if (request.Path.StartsWithSegments("/_local"))
        {
            await _status.HandleAsync(context);
            return;
        }

        byte[] body;
        try
        {
            body = await ResponseRelay.ReadAllAsync(request.Body, MaxRequestBytes, context.RequestAborted);
        }
        catch (InvalidDataException)
        {
            context.Response.StatusCode = 413;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(FunctionUrlErrors.TooLarge);
            return;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or BadHttpRequestException)
        {
            return; // the client went away while sending
        }

        // Never the query itself: GET ?prompt= carries the prompt, and no prompt text is logged.
        var query = request.QueryString.HasValue ? $"?<{request.QueryString.Value!.Length - 1} chars>" : "";
        if (FrontRules.Check(Kind, request, body, ApiKey) is { } rejection)
        {
            _log($"[host] {request.Method} {request.Path}{query} -> {rejection.StatusCode} from the {FrontRules.Name(Kind)} front ({rejection.Reason}); the function is not invoked");
            await rejection.WriteAsync(context.Response);
            return;
        }

        var requestId = Guid.NewGuid().ToString();
        var payload = Kind == FrontKind.RestApi
            ? RestApiEvent.Build(request, body, requestId, DateTimeOffset.UtcNow, ApiKey)
            : FunctionUrlEvent.Build(request, body, requestId, DateTimeOffset.UtcNow, NewTraceHeader());
        _log($"[host] {request.Method} {request.Path}{query} -> request {requestId}");
        await _emulator.InvokeAsync(requestId, payload, new ClientResponder(context, requestId, Kind));
    }

    private static string NewTraceHeader() =>
        "Root=1-" + DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString("x8", CultureInfo.InvariantCulture) + "-"
        + Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}

/// <summary>
/// <c>/_local/*</c> on the front: <c>GET /_local/status</c> (JSON: mode, function state, counters) and
/// <c>POST /_local/fake-model/next-fault?name=stream-throttling@3</c> (fault injection from a browser or curl).
/// </summary>
internal sealed class LocalStatus(Func<object> status, FakeModel? fakeModel)
{
    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (path == "/_local/status" && HttpMethods.IsGet(context.Request.Method))
        {
            await context.Response.WriteAsJsonAsync(status());
            return;
        }
        if (path == "/_local/fake-model/next-fault" && HttpMethods.IsPost(context.Request.Method) && fakeModel is not null)
        {
            var name = context.Request.Query["name"].ToString();
            if (!FakeFault.TryParse(name, out var fault))
            {
                context.Response.StatusCode = 400;
                await context.Response.WriteAsJsonAsync(new { error = $"unknown fault '{name}'", faults = FakeFault.Names });
                return;
            }
            fakeModel.NextFault = fault;
            await context.Response.WriteAsJsonAsync(new { nextFault = fault.ToString() });
            return;
        }
        context.Response.StatusCode = 404;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new { error = "unknown local endpoint", endpoints = new[] { "GET /_local/status", "POST /_local/fake-model/next-fault?name=<fault>" } }));
    }
}
