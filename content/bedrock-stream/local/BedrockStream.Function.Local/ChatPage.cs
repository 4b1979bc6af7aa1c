using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace BedrockStream.Function.Local;

/// <summary>
/// The chat page at <c>GET /</c> of the Function URL front: <c>ChatPage.html</c> beside this file, embedded in the host,
/// self-contained (no CDN, nothing from the internet). It sends the conversation to the same origin and renders the
/// streamed answer, reasoning, tool calls, errors and timings as they arrive.
/// </summary>
internal static partial class ChatPage
{
    private static readonly Lazy<(byte[] Html, string Policy)> Page = new(Load);

    public static Task WriteAsync(HttpResponse response)
    {
        var (html, policy) = Page.Value;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers["Content-Security-Policy"] = policy;
        response.Headers["X-Content-Type-Options"] = "nosniff";
        return response.Body.WriteAsync(html).AsTask();
    }

    private static (byte[], string) Load()
    {
        using var stream = typeof(ChatPage).Assembly.GetManifestResourceStream("ChatPage.html")
            ?? throw new InvalidOperationException("ChatPage.html is not embedded in the local host.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var html = buffer.ToArray();

        // Only the page's own inline script and style may run, pinned by their hashes, and it may connect only to this
        // host: model output is rendered as text anyway, and this is the second wall should a bug ever let markup through
        // (https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Content-Security-Policy).
        var text = Encoding.UTF8.GetString(html);
        string Hashes(string tag) => string.Join(' ', Inline().Matches(text).Where(m => m.Groups["tag"].Value == tag)
            .Select(m => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(m.Groups["body"].Value)))}'"));
        var policy = $"default-src 'none'; script-src {Hashes("script")}; style-src {Hashes("style")}; connect-src 'self'; img-src data:; " +
                     "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        return (html, policy);
    }

    [GeneratedRegex(@"<(?<tag>script|style)>(?<body>.*?)</\k<tag>>", RegexOptions.Singleline)]
    private static partial Regex Inline();
}
