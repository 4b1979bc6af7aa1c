using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime.Internal.Auth;

namespace BedrockStream.Function.Local;

/// <summary>
/// Checks that a request is SigV4-signed with the fake credentials, the way Bedrock does: same canonical
/// request, signature computed by AWSSDK.Core's <see cref="AWS4Signer"/> (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html).
/// The canonical URI is the request path URI-encoded once more (<c>%3A</c> → <c>%253A</c>): the classic
/// cause of <c>InvalidSignatureException</c> in hand-written clients.
/// </summary>
public static class SigV4Verifier
{
    private const string Algorithm = "AWS4-HMAC-SHA256";

    /// <param name="rawPath">The path exactly as sent (still percent-encoded once).</param>
    /// <param name="headers">Request headers; names are matched case-insensitively.</param>
    /// <returns>Null when the signature is valid, else why not.</returns>
    public static string? Verify(string method, string rawPath, string rawQuery, IReadOnlyDictionary<string, string> headers, byte[] body,
        string accessKeyId, string secretAccessKey, string region, string service, string? sessionToken)
    {
        var h = new Dictionary<string, string>(headers, StringComparer.OrdinalIgnoreCase);
        if (!h.TryGetValue("authorization", out var authorization) || !authorization.StartsWith(Algorithm + " ", StringComparison.Ordinal))
            return "missing AWS4-HMAC-SHA256 Authorization header";
        var parts = authorization[(Algorithm.Length + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        if (!parts.TryGetValue("Credential", out var credential) || !parts.TryGetValue("SignedHeaders", out var signedHeaders) || !parts.TryGetValue("Signature", out var signature))
            return "Authorization lacks Credential, SignedHeaders or Signature";

        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[4] != "aws4_request") return $"malformed credential scope '{credential}'";
        if (scope[0] != accessKeyId) return $"unknown access key '{scope[0]}'";
        if (scope[2] != region) return $"credential scope region '{scope[2]}', expected '{region}'";
        if (scope[3] != service) return $"credential scope service '{scope[3]}', expected '{service}'";

        if (!h.TryGetValue("x-amz-date", out var amzDate)
            || !DateTime.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var signedAt))
            return "missing or malformed x-amz-date";
        if (scope[1] != amzDate[..8]) return $"credential scope date {scope[1]} differs from x-amz-date {amzDate}";

        if (sessionToken is not null && (!h.TryGetValue("x-amz-security-token", out var token) || token != sessionToken))
            return "missing or wrong x-amz-security-token";

        var names = signedHeaders.Split(';');
        if (!names.Contains("host") || !names.Contains("x-amz-date")) return "SignedHeaders must include host and x-amz-date";
        if (names.Any(n => n != n.ToLowerInvariant()) || !names.SequenceEqual(names.Order(StringComparer.Ordinal)))
            return "SignedHeaders must be lower-case and sorted";

        var canonicalHeaders = new StringBuilder();
        foreach (var name in names)
        {
            if (!h.TryGetValue(name, out var value)) return $"signed header '{name}' is missing";
            canonicalHeaders.Append(name).Append(':').Append(CollapseSpaces(value)).Append('\n');
        }

        var bodyHash = Convert.ToHexString(SHA256.HashData(body)).ToLowerInvariant();
        if (h.TryGetValue("x-amz-content-sha256", out var declared) && declared != bodyHash && declared != "UNSIGNED-PAYLOAD")
            return "x-amz-content-sha256 does not match the body";
        var payloadHash = declared ?? bodyHash;

        var canonicalRequest = string.Join('\n', method, CanonicalUri(rawPath), CanonicalQuery(rawQuery), canonicalHeaders.ToString(), signedHeaders, payloadHash);
        var expected = AWS4Signer.ComputeSignature(accessKeyId, secretAccessKey, region, signedAt, service, signedHeaders, canonicalRequest).Signature;
        return string.Equals(expected, signature, StringComparison.Ordinal)
            ? null
            : "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. "
              + "(Canonical URI used: " + CanonicalUri(rawPath) + ")";
    }

    /// <summary>Each segment of the (already encoded) path encoded again, as SigV4 wants for every service but S3.</summary>
    public static string CanonicalUri(string rawPath) =>
        string.Join('/', rawPath.Split('/').Select(Uri.EscapeDataString));

    private static string CanonicalQuery(string rawQuery)
    {
        if (string.IsNullOrEmpty(rawQuery)) return "";
        return string.Join('&', rawQuery.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Select(p => (Key: Uri.EscapeDataString(Uri.UnescapeDataString(p[0])), Value: Uri.EscapeDataString(Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""))))
            .OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => p.Key + "=" + p.Value));
    }

    private static string CollapseSpaces(string value) => string.Join(' ', value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries));
}
