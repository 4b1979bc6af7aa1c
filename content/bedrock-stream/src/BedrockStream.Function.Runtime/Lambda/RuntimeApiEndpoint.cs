using System.Globalization;
using System.Net;

namespace BedrockStream.Function.Runtime;

/// <summary>The <c>host:port</c> of the Lambda Runtime API (env var <c>AWS_LAMBDA_RUNTIME_API</c>, runtimes-api).</summary>
internal sealed class RuntimeApiEndpoint
{
    public RuntimeApiEndpoint(string hostAndPort)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hostAndPort);
        int colon = hostAndPort.LastIndexOf(':');
        if (colon <= 0 || colon == hostAndPort.Length - 1
            || !int.TryParse(hostAndPort.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port)
            || port is < 1 or > 65535)
        {
            throw new ArgumentException($"Expected host:port for the Lambda Runtime API, got '{hostAndPort}'.", nameof(hostAndPort));
        }

        string host = hostAndPort[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1]; // [::1]:9001
        }

        HostAndPort = hostAndPort;
        // Lambda sets a literal address (127.0.0.1:9001); parsing it avoids a DNS lookup on the cold start.
        EndPoint = IPAddress.TryParse(host, out IPAddress? address)
            ? new IPEndPoint(address, port)
            : new DnsEndPoint(host, port);
    }

    /// <summary>The value as given; also sent as the <c>Host</c> header.</summary>
    public string HostAndPort { get; }

    public EndPoint EndPoint { get; }
}
