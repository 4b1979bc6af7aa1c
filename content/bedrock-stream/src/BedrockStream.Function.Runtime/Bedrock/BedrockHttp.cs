using System.Net;

namespace BedrockStream.Function.Runtime;

/// <summary>The one <see cref="HttpClient"/> the function uses to talk to Bedrock.</summary>
public static class BedrockHttp
{
    private static readonly Lazy<HttpClient> SharedClient = new(Create);

    /// <summary>
    /// Shared across invocations of a Lambda execution environment so that warm invocations reuse the
    /// pooled TLS connection instead of reconnecting.
    /// </summary>
    public static HttpClient Shared => SharedClient.Value;

    /// <summary>Creates a client configured for long-lived streaming responses.</summary>
    public static HttpClient Create()
    {
        var handler = new SocketsHttpHandler
        {
            // Connections are reused; checked for idleness when taken from the pool, which also covers
            // the time an execution environment spent frozen between invocations.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            // Re-resolve DNS now and then in long-lived environments.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            AllowAutoRedirect = false,
            // A stream given up early (the caller left, a write failed) closes its connection at once instead
            // of being drained for reuse: by default SocketsHttpHandler keeps reading an abandoned response for
            // up to 2 s / 1 MB, i.e. the model goes on generating (and billing) tokens that nobody reads.
            MaxResponseDrainSize = 0,
        };

        return new HttpClient(handler, disposeHandler: true)
        {
            // No overall timeout: a model answer can stream for minutes. The caller's CancellationToken,
            // bounded by the Lambda deadline, is what stops a call.
            Timeout = Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
    }
}
