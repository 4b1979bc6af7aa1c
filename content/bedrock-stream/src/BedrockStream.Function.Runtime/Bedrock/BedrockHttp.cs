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
        return new HttpClient(BedrockConnections.NewHandler(), disposeHandler: true)
        {
            // No overall timeout: a model answer can stream for minutes. The caller's CancellationToken,
            // bounded by the Lambda deadline, is what stops a call.
            Timeout = Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
    }
}
