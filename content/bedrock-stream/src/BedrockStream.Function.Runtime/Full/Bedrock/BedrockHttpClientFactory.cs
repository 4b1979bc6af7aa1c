using System.Buffers.Binary;
using System.Net;
using Amazon.Runtime;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// The HTTP client the AWS SDK uses for Bedrock (<see cref="ClientConfig.HttpClientFactory"/>): one pooled
/// connection reused across invocations, no overall timeout (an answer can stream for minutes; the invocation's
/// deadline ends it), a stream given up early closed at once instead of drained, so the model stops billing, and
/// event-stream bodies read one frame at a time (<see cref="FrameAlignedStream"/>).
/// </summary>
internal sealed class BedrockHttpClientFactory : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig) =>
        new(new CancellableResponseHandler(BedrockConnections.NewHandler()))
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };

    /// <summary>
    /// The model call in progress (<see cref="BedrockChatClient"/> sets it for each call; it flows through the SDK's
    /// pipeline with the call's execution context, down to this client's handler).
    /// </summary>
    internal static readonly AsyncLocal<ModelCall?> CurrentCall = new();

    /// <summary>
    /// What the HTTP layer learns about a model call that the SDK does not pass on: <see cref="Token"/> ends its
    /// response, and <see cref="RetryAfter"/> is Bedrock's <c>Retry-After</c> on an error (the SDK's exceptions carry no headers).
    /// </summary>
    internal sealed class ModelCall(CancellationToken token)
    {
        public CancellationToken Token { get; } = token;

        public TimeSpan? RetryAfter { get; set; }
    }

    /// <summary>
    /// Disposes a response, which aborts its connection and fails the read in progress, when the current call's token
    /// is cancelled: AWS.Bedrock.MEAI neither passes the caller's token to the reading of the event stream nor disposes
    /// the response when its caller stops early, so without this a stalled model would hold the invocation past its
    /// deadline, and a caller who went away would leave the model generating (and billing) to the end. Also records
    /// an error's <c>Retry-After</c>, and aligns event-stream reads on frames.
    /// </summary>
    private sealed class CancellableResponseHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (CurrentCall.Value is { } call)
            {
                // The registration ends with the token's source: the model call's.
                call.Token.Register(static state => ((HttpResponseMessage)state!).Dispose(), response);
                if (!response.IsSuccessStatusCode && response.Headers.RetryAfter is { } retryAfter)
                    call.RetryAfter = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - DateTimeOffset.UtcNow : null);
            }

            if (response.Content.Headers.ContentType?.MediaType == "application/vnd.amazon.eventstream")
                response.Content = new FrameAlignedContent(response.Content);
            return response;
        }
    }

    /// <summary>The body of an event-stream response, read through a <see cref="FrameAlignedStream"/>.</summary>
    private sealed class FrameAlignedContent : HttpContent
    {
        private readonly HttpContent _inner;

        public FrameAlignedContent(HttpContent inner)
        {
            _inner = inner;
            foreach (var header in inner.Headers)
                Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new FrameAlignedStream(await _inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));

        protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => _inner.CopyToAsync(stream, context);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                _inner.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>
    /// Hands out an event-stream body so that no read ends past a frame: each frame starts with its total length
    /// (https://docs.aws.amazon.com/transcribe/latest/dg/event-stream.html), and a read returns at most the rest of the
    /// current frame. AWSSDK.Core decodes each read at once and throws as soon as it meets an exception frame, dropping the
    /// events it decoded earlier in the same read (EventOutputStream.ReadFromStreamAsync and
    /// EnumerableEventOutputStream.GetAsyncEnumerator in aws/aws-sdk-net): when Bedrock's last text deltas and an error
    /// arrive together, the caller would lose that text, and an error after the first token would look like one before it.
    /// Nothing is decoded here; the SDK still checks every frame.
    /// </summary>
    internal sealed class FrameAlignedStream(Stream inner) : Stream
    {
        private const int PreludeLength = 12;   // total length, headers length, prelude CRC
        private readonly byte[] _length = new byte[4];
        private long _remaining;                // bytes of the current frame not handed out yet

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.IsEmpty)
                return 0;

            int written = 0;
            if (_remaining == 0)
            {
                // The next frame's total length: its first 4 bytes, big-endian.
                int got = 0;
                while (got < _length.Length)
                {
                    int n = await inner.ReadAsync(_length.AsMemory(got), cancellationToken).ConfigureAwait(false);
                    if (n == 0)
                        break;
                    got += n;
                }

                if (got == 0)
                    return 0;
                long total = got == _length.Length ? BinaryPrimitives.ReadUInt32BigEndian(_length) : got;
                // A length no frame can have: hand the rest over unaligned and let the SDK's decoder report it.
                _remaining = total >= PreludeLength + 4 ? total : long.MaxValue;
                written = Math.Min(got, buffer.Length);
                _length.AsSpan(0, written).CopyTo(buffer.Span);
                if (written < got)
                    throw new IOException("The read buffer is smaller than an event-stream length prefix.");
                _remaining -= got;
                if (_remaining == 0 || written == buffer.Length)
                    return written;
            }

            int max = (int)Math.Min(buffer.Length - written, _remaining);
            int read = await inner.ReadAsync(buffer.Slice(written, max), cancellationToken).ConfigureAwait(false);
            _remaining -= read;
            return written + read;
        }

        public override int Read(byte[] buffer, int offset, int count) =>
            ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
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
}
