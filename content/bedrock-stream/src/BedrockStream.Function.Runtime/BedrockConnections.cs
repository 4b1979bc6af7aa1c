using System.Net;

namespace BedrockStream.Function.Runtime;

/// <summary>How the function connects to Bedrock, whichever client sends the requests.</summary>
internal static class BedrockConnections
{
    /// <summary>A handler for long-lived streaming responses over one pooled connection.</summary>
    public static SocketsHttpHandler NewHandler() => new()
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
        // up to 2 s / 1 MB, i.e. the model goes on generating (and billing) tokens that nobody reads
        // (https://learn.microsoft.com/dotnet/api/system.net.http.socketshttphandler.maxresponsedrainsize).
        MaxResponseDrainSize = 0,
    };
}
