using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace BedrockStream.Function.Local;

/// <summary>
/// What a caller of the deployed front talks to (<see cref="FrontKind"/>). As a Function URL (InvokeMode RESPONSE_STREAM)
/// any method and path becomes a payload-2.0 event for the function; as a REST API the root path (every path, for an OpenAI-compatible function) becomes a payload-1.0
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
    private readonly string _restApiResource;
    private WebApplication? _app;

    /// <param name="restApiResource">The REST API's resource: <see cref="FrontRules.RestApiPath"/> or <see cref="FrontRules.RestApiProxyResource"/>.</param>
    internal FunctionUrlFront(RuntimeApiEmulator emulator, LocalStatus status, Action<string> log, FrontKind kind = FrontKind.FunctionUrl, string? apiKey = null, string restApiResource = FrontRules.RestApiPath)
    {
        _restApiResource = restApiResource;
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
        if (FrontRules.Check(Kind, request, body, ApiKey, _restApiResource) is { } rejection)
        {
            _log($"[host] {request.Method} {request.Path}{query} -> {rejection.StatusCode} from the {FrontRules.Name(Kind)} front ({rejection.Reason}); the function is not invoked");
            await rejection.WriteAsync(context.Response);
            return;
        }

        var requestId = Guid.NewGuid().ToString();
        var payload = Kind == FrontKind.RestApi
            ? RestApiEvent.Build(request, body, requestId, DateTimeOffset.UtcNow, ApiKey, _restApiResource)
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
/// <c>/_local/*</c> on the front, the host's own endpoints (never passed to the function):
/// <c>GET /_local/status</c> (JSON: mode, response format, function state, counters);
/// <c>GET /_local/fake-model</c> (token rate, the fault set, the fault names) and <c>POST /_local/fake-model</c> with
/// <c>{"tokenRate":10,"fault":"stream-throttling@5","scope":"next"|"every"}</c> (any of them; <c>"fault":""</c> clears),
/// what the chat page's settings strip uses; <c>POST /_local/fake-model/next-fault?name=stream-throttling@3</c>.
/// </summary>
internal sealed class LocalStatus(Func<object> status, FakeModel? fakeModel)
{
    private static readonly string[] Endpoints =
        ["GET /_local/status", "GET /_local/fake-model", "POST /_local/fake-model {tokenRate, fault, scope}", "POST /_local/fake-model/next-fault?name=<fault>"];

    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var method = context.Request.Method;
        if (path == "/_local/status" && HttpMethods.IsGet(method))
        {
            await context.Response.WriteAsJsonAsync(status());
            return;
        }
        if (path == "/_local/fake-model" && fakeModel is not null && (HttpMethods.IsGet(method) || HttpMethods.IsPost(method)))
        {
            if (HttpMethods.IsPost(method) && await ApplySettingsAsync(context, fakeModel) is { } error)
            {
                context.Response.StatusCode = error.Status;
                await context.Response.WriteAsJsonAsync(new { error = error.Message, faults = FakeFault.Names });
                return;
            }
            await context.Response.WriteAsJsonAsync(Settings(fakeModel));
            return;
        }
        if (path == "/_local/fake-model/next-fault" && HttpMethods.IsPost(method) && fakeModel is not null)
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
        await context.Response.WriteAsync(JsonSerializer.Serialize(new { error = "unknown local endpoint", endpoints = Endpoints }));
    }

    private static object Settings(FakeModel model)
    {
        var next = model.NextFault;
        var persistent = model.PersistentFault;
        return new
        {
            tokenRate = model.TokenRate,
            fault = (next ?? persistent)?.ToString(),
            scope = next is not null ? "next" : persistent is not null ? "every" : null,
            faults = FakeFault.Names.Select(name => new { name, description = FakeFault.Describe(name) }),
        };
    }

    /// <summary>
    /// Applies what the body sets, all or nothing. Only <c>application/json</c> is taken: a cross-site page cannot send
    /// that without a CORS preflight, which this host never grants, so no other site can change the fake model.
    /// </summary>
    private static async Task<(int Status, string Message)?> ApplySettingsAsync(HttpContext context, FakeModel model)
    {
        if (!string.Equals(context.Request.ContentType?.Split(';')[0].Trim(), "application/json", StringComparison.OrdinalIgnoreCase))
            return (415, "send the settings as application/json");
        JsonDocument json;
        try
        {
            json = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
        }
        catch (JsonException)
        {
            return (400, "the body is not JSON");
        }
        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (400, "send a JSON object");

            double? rate = null;
            if (root.TryGetProperty("tokenRate", out var r))
            {
                if (r.ValueKind != JsonValueKind.Number || r.GetDouble() is < 0 or > 1_000_000) return (400, "tokenRate must be a number from 0 (as fast as possible) to 1000000");
                rate = r.GetDouble();
            }
            bool every = false;
            if (root.TryGetProperty("scope", out var s))
            {
                if (s.ValueKind != JsonValueKind.String || s.GetString() is not ("next" or "every")) return (400, "scope must be \"next\" (the next model call only) or \"every\" (until cleared)");
                every = s.GetString() == "every";
            }
            bool setFault = root.TryGetProperty("fault", out var f);
            FakeFault? fault = null;
            if (setFault && f.ValueKind == JsonValueKind.String && f.GetString() is { Length: > 0 } name && !FakeFault.TryParse(name, out fault))
                return (400, $"unknown fault '{name}'");
            if (setFault && f.ValueKind is not (JsonValueKind.String or JsonValueKind.Null)) return (400, "fault must be a fault name, or \"\" to clear it");

            if (rate is { } tokenRate) model.TokenRate = tokenRate;
            if (setFault)
            {
                model.NextFault = every ? null : fault;
                model.PersistentFault = every ? fault : null;
            }
            return null;
        }
    }
}
