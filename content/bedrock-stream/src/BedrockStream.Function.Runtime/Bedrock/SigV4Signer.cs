using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.Runtime.Internal.Auth;

namespace BedrockStream.Function.Runtime;

/// <summary>The headers to add to a signed request.</summary>
/// <param name="AmzDate"><c>X-Amz-Date</c>, e.g. <c>20260115T120000Z</c>.</param>
/// <param name="Authorization">The full <c>Authorization</c> header value.</param>
/// <param name="SecurityToken"><c>X-Amz-Security-Token</c>, or null for long-term credentials.</param>
/// <param name="CanonicalRequest">What was signed (kept for tests and diagnostics).</param>
public sealed record SigV4Headers(string AmzDate, string Authorization, string? SecurityToken, string CanonicalRequest);

/// <summary>
/// SigV4 for a Bedrock Runtime POST with a JSON body. It builds the canonical request itself and lets
/// AWSSDK.Core's <see cref="AWS4Signer"/> derive the key and signature (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html).
/// </summary>
public static class SigV4Signer
{
    /// <summary>The signing name is <c>bedrock</c>, not the endpoint prefix <c>bedrock-runtime</c> (https://docs.aws.amazon.com/general/latest/gr/bedrock.html).</summary>
    public const string ServiceName = "bedrock";

    /// <summary>The only content type this client sends; it is signed, so the sent header must be exactly this.</summary>
    public const string ContentType = "application/json";

    /// <summary>Signs a POST of <paramref name="body"/> to <paramref name="requestUri"/>.</summary>
    /// <param name="requestUri">The URL as it goes on the wire (path already escaped once, e.g. <c>%3A</c>).</param>
    /// <param name="host">The <c>Host</c> header value that will be sent.</param>
    public static SigV4Headers SignPost(Uri requestUri, string host, ReadOnlySpan<byte> body, ImmutableCredentials credentials, string region, DateTime signedAtUtc)
    {
        ArgumentNullException.ThrowIfNull(requestUri);
        ArgumentNullException.ThrowIfNull(credentials);

        string amzDate = signedAtUtc.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        string? token = credentials.UseToken ? credentials.Token : null;

        // Header names are lower-case and sorted; Content-Length/User-Agent stay unsigned.
        string signedHeaders = token is null ? "content-type;host;x-amz-date" : "content-type;host;x-amz-date;x-amz-security-token";

        var canonical = new StringBuilder(512)
            .Append("POST\n")
            .Append(CanonicalUri(requestUri.AbsolutePath)).Append('\n')
            .Append(CanonicalQuery(requestUri.Query)).Append('\n')
            .Append("content-type:").Append(ContentType).Append('\n')
            .Append("host:").Append(host).Append('\n')
            .Append("x-amz-date:").Append(amzDate).Append('\n');
        if (token is not null)
        {
            canonical.Append("x-amz-security-token:").Append(token.Trim()).Append('\n');
        }

        canonical.Append('\n')
            .Append(signedHeaders).Append('\n')
            .Append(LowerHex(SHA256.HashData(body)));
        string canonicalRequest = canonical.ToString();

        AWS4SigningResult result = AWS4Signer.ComputeSignature(
            credentials.AccessKey, credentials.SecretKey, region, signedAtUtc, ServiceName, signedHeaders, canonicalRequest);

        return new SigV4Headers(amzDate, result.ForAuthorizationHeader, token, canonicalRequest);
    }

    /// <summary>
    /// The canonical URI (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html) encodes the already-escaped path AGAIN (every service but S3 does this),
    /// so <c>%3A</c> in a model id becomes <c>%253A</c>. Signing the single-encoded path is the classic
    /// <c>403 InvalidSignatureException</c>.
    /// </summary>
    public static string CanonicalUri(string escapedPath)
    {
        if (string.IsNullOrEmpty(escapedPath))
        {
            return "/";
        }

        var sb = new StringBuilder(escapedPath.Length + 16);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (Rune rune in escapedPath.EnumerateRunes())
        {
            if (rune.IsAscii && (IsUnreserved((char)rune.Value) || rune.Value == '/'))
            {
                sb.Append((char)rune.Value);
                continue;
            }

            int written = rune.EncodeToUtf8(utf8);
            for (int i = 0; i < written; i++)
            {
                sb.Append('%').Append(utf8[i].ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }

    // ConverseStream has no query string; an endpoint override could in theory carry one, which SigV4 wants sorted.
    private static string CanonicalQuery(string query)
    {
        if (query.Length <= 1)
        {
            return string.Empty;
        }

        string[] pairs = query[1..].Split('&', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < pairs.Length; i++)
        {
            int eq = pairs[i].IndexOf('=', StringComparison.Ordinal);
            string name = eq < 0 ? pairs[i] : pairs[i][..eq];
            string value = eq < 0 ? string.Empty : pairs[i][(eq + 1)..];
            pairs[i] = Uri.EscapeDataString(Uri.UnescapeDataString(name)) + "=" + Uri.EscapeDataString(Uri.UnescapeDataString(value));
        }

        Array.Sort(pairs, StringComparer.Ordinal);
        return string.Join('&', pairs);
    }

    // The template also targets net8.0, which lacks Convert.ToHexStringLower.
    private static string LowerHex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    private static bool IsUnreserved(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~';
}
