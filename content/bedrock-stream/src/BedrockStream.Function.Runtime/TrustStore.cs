using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// The root certificates that .NET checks a server's TLS certificate against. On Linux it reads all of them (the
/// bundle file OpenSSL names, <c>SSL_CERT_FILE</c>, and every file of its certificate directory, <c>SSL_CERT_DIR</c>;
/// https://learn.microsoft.com/dotnet/standard/security/cross-platform-cryptography#x509store) the first time a
/// certificate chain is built, i.e. during the first HTTPS request to Bedrock: parsing some 150 to 450 certificates,
/// the largest part of the CPU time of a cold start's first answer.
/// </summary>
public static class TrustStore
{
    /// <summary>
    /// Reads the root certificates now, so that the first request does not. Called during the Lambda Init phase, which
    /// an on-demand function runs at full speed whatever its memory size ("On-demand Lambda functions use a full vCPU
    /// (non-throttled) ... during its initialization phase",
    /// https://serverlessland.com/content/service/lambda/guides/effectively-running-java-on-serverless/init-heavy-lifting):
    /// at 128 MB the same work after Init runs on a fourteenth of a vCPU. .NET keeps what it read for later handshakes
    /// (and reads it again at the first handshake more than five minutes later).
    /// </summary>
    public static void Preload()
    {
        try
        {
            // LocalMachine\Root is the system trust on Linux: listing it makes .NET read the roots and keep them.
            using var store = new X509Store(StoreName.Root, StoreLocation.LocalMachine);
            store.Open(OpenFlags.ReadOnly);
            foreach (X509Certificate2 root in store.Certificates)
            {
                root.Dispose();
            }
        }
        catch (CryptographicException)
        {
            // Only a head start: the first handshake reads the roots itself and reports any real problem.
        }
    }
}
