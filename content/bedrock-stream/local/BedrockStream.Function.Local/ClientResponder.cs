using Microsoft.AspNetCore.Http.Features;

namespace BedrockStream.Function.Local;

/// <summary>
/// The front's caller's HTTP response. Status and headers come from the prelude; each body piece is
/// written and flushed on its own (no buffering, no compression), as a RESPONSE_STREAM Function URL does,
/// and a REST API in STREAM mode.
/// </summary>
internal sealed class ClientResponder : IInvocationResponder
{
    // Hop-by-hop or framing headers are the server's business, not the function's.
    private static readonly HashSet<string> Dropped = new(StringComparer.OrdinalIgnoreCase)
    {
        "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "trailer", "set-cookie",
    };

    private readonly HttpContext _context;
    private readonly string _requestId;
    private readonly FrontKind _front;
    private int _claimed; // 0 = nothing sent; 1 = the response belongs to whoever claimed it first

    public ClientResponder(HttpContext context, string requestId, FrontKind front = FrontKind.FunctionUrl)
    {
        _context = context;
        _requestId = requestId;
        _front = front;
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    public bool HasStarted => Volatile.Read(ref _claimed) == 1;

    /// <summary>A REST API answers 502 to a prelude whose header value is not a string (lists belong in multiValueHeaders).</summary>
    public bool AcceptsOnlyStringHeaders => _front == FrontKind.RestApi;

    public CancellationToken ClientAborted => _context.RequestAborted;

    public async Task StartAsync(int statusCode, IReadOnlyList<KeyValuePair<string, string>> headers, IReadOnlyList<string> cookies, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _claimed, 1) == 1) throw new InvalidOperationException("The response has already been answered.");
        var response = _context.Response;
        response.StatusCode = statusCode;
        foreach (var (name, value) in headers)
            if (!Dropped.Contains(name)) response.Headers.Append(name, value);
        // Set-Cookie only from the prelude's cookies array (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html).
        foreach (var cookie in cookies) response.Headers.Append("Set-Cookie", cookie);
        response.Headers["x-amzn-RequestId"] = _requestId;
        await response.StartAsync(cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        // PipeWriter.WriteAsync = copy + flush: the bytes are on the socket when it completes.
        var result = await _context.Response.BodyWriter.WriteAsync(data, cancellationToken);
        if (result.IsCompleted || result.IsCanceled) throw new IOException("The HTTP client is gone.");
    }

    public async Task<bool> TryFailAsync(int statusCode, string jsonBody)
    {
        if (Interlocked.Exchange(ref _claimed, 1) == 1) return false;
        var response = _context.Response;
        try
        {
            response.StatusCode = statusCode;
            response.ContentType = "application/json";
            response.Headers["x-amzn-RequestId"] = _requestId;
            await response.WriteAsync(_front == FrontKind.RestApi ? RestApiErrors.For(statusCode, jsonBody) : jsonBody, _context.RequestAborted);
            await response.CompleteAsync();
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The client is gone; nothing left to tell it.
        }
        return true;
    }

    public void Abort() => _context.Abort();
}
