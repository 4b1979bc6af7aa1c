using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using BedrockStream.Function.Runtime;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Tests.Bedrock;

/// <summary>A clock stuck at one instant, so X-Amz-Date and the signature are predictable.</summary>
public sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public static readonly DateTimeOffset VectorDate = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>Answers every request with a fixed status and a body that arrives in the given pieces, one piece per read.</summary>
public sealed class PiecewiseHandler(IReadOnlyList<byte[]> pieces, HttpStatusCode status = HttpStatusCode.OK) : HttpMessageHandler
{
    public HttpRequestMessage? Request { get; private set; }
    public byte[]? RequestBody { get; private set; }
    public PiecewiseStream? Body { get; private set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Request = request;
        RequestBody = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        Body = new PiecewiseStream(pieces);
        return new HttpResponseMessage(status) { Content = new StreamContent(Body), RequestMessage = request };
    }
}

/// <summary>A read-only stream that returns at most one piece per read (pieces larger than the read buffer are continued).</summary>
public sealed class PiecewiseStream(IReadOnlyList<byte[]> pieces) : Stream
{
    private int _piece;
    private int _offset;

    public int Reads { get; private set; }
    public bool Disposed { get; private set; }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        Reads++;
        while (_piece < pieces.Count && _offset == pieces[_piece].Length)
        {
            _piece++;
            _offset = 0;
        }

        if (_piece == pieces.Count)
        {
            return 0;
        }

        int n = Math.Min(buffer.Length, pieces[_piece].Length - _offset);
        pieces[_piece].AsSpan(_offset, n).CopyTo(buffer);
        _offset += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    protected override void Dispose(bool disposing)
    {
        Disposed = true;
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

public static class Bytes
{
    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>Every byte on its own.</summary>
    public static IReadOnlyList<byte[]> OneByOne(byte[] data) => data.Select(b => new[] { b }).ToArray();

    /// <summary>Random pieces of 1..maxPiece bytes (seeded, so a failure is reproducible).</summary>
    public static IReadOnlyList<byte[]> RandomPieces(byte[] data, int seed, int maxPiece = 17)
    {
        var random = new Random(seed);
        var pieces = new List<byte[]>();
        for (int i = 0; i < data.Length;)
        {
            int n = Math.Min(random.Next(1, maxPiece + 1), data.Length - i);
            pieces.Add(data[i..(i + n)]);
            i += n;
        }

        return pieces;
    }
}

public static class Models
{
    public const string ModelId = "anthropic.claude-3-haiku-20240307-v1:0";
    public static readonly BasicAWSCredentials Basic = new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");

    /// <summary>The conversation of the signing vector: one user turn "hi".</summary>
    public static readonly ChatMessage[] Hi = [new(ChatRole.User, "hi")];

    /// <summary>The options of the signing vector: at most 64 tokens.</summary>
    public static ChatOptions Options(float? temperature = null, string? instructions = null) =>
        new() { MaxOutputTokens = 64, Temperature = temperature, Instructions = instructions };

    public static BedrockChatClient Over(HttpMessageHandler handler, AWSCredentials? credentials = null, BedrockChatClientOptions? options = null, string modelId = ModelId) =>
        new(modelId, new Uri("https://bedrock-runtime.us-east-1.amazonaws.com"), "us-east-1", options, credentials ?? Basic, new HttpClient(handler), new FixedTime(FixedTime.VectorDate));

    /// <summary>Streams a "hi" request over <paramref name="handler"/> and collects what came out.</summary>
    public static Task<Collected> RunAsync(HttpMessageHandler handler, ChatOptions? options = null) =>
        Collected.FromAsync(Over(handler).GetStreamingResponseAsync(Hi, options ?? Options()));
}

/// <summary>What a stream of updates carried: the updates, the answer's text deltas, Bedrock's stop reason and the usage.</summary>
public sealed record Collected(List<ChatResponseUpdate> Updates)
{
    public List<string> Deltas => [.. Updates.SelectMany(u => u.Contents).OfType<TextContent>().Select(t => t.Text)];
    public string? Stop => Updates.Select(BedrockStopReason.Of).LastOrDefault(s => s is not null);
    public UsageDetails? Usage => Updates.SelectMany(u => u.Contents).OfType<UsageContent>().LastOrDefault()?.Details;

    public static async Task<Collected> FromAsync(IAsyncEnumerable<ChatResponseUpdate> updates)
    {
        var list = new List<ChatResponseUpdate>();
        await foreach (ChatResponseUpdate update in updates)
            list.Add(update);
        return new Collected(list);
    }
}

/// <summary>
/// An independent SigV4 implementation (straight from the AWS spec, no AWSSDK.Core) used to check what the
/// client put on the wire; it is itself checked against the botocore vector.
/// </summary>
public static class ReferenceSigV4
{
    public static string Signature(string method, string rawTarget, string host, string contentType, string amzDate, string? token,
        byte[] body, string secret, string region, string service)
    {
        string canonicalUri = rawTarget.Replace("%", "%25", StringComparison.Ordinal); // targets here only hold unreserved chars and %XX
        string signedHeaders = token is null ? "content-type;host;x-amz-date" : "content-type;host;x-amz-date;x-amz-security-token";
        string canonical = $"{method}\n{canonicalUri}\n\ncontent-type:{contentType}\nhost:{host}\nx-amz-date:{amzDate}\n"
            + (token is null ? "" : $"x-amz-security-token:{token}\n")
            + $"\n{signedHeaders}\n{Hex(SHA256.HashData(body))}";
        string date = amzDate[..8];
        string scope = $"{date}/{region}/{service}/aws4_request";
        string stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        byte[] key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secret), date);
        key = Hmac(key, region);
        key = Hmac(key, service);
        key = Hmac(key, "aws4_request");
        return Hex(Hmac(key, stringToSign));
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));
    private static string Hex(byte[] b) => Convert.ToHexString(b).ToLowerInvariant(); // net8.0 has no ToHexStringLower
}
