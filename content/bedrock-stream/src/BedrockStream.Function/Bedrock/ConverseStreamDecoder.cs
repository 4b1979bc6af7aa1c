using System.Buffers;
using System.Text.Json;
using Amazon.Runtime.EventStreams;
using Amazon.Runtime.EventStreams.Internal;

namespace BedrockStream.Function.Bedrock;

/// <summary>
/// Turns the bytes of one ConverseStream response body into <see cref="ModelEvent"/>s. Synchronous and I/O-free:
/// the caller feeds whatever each network read returned and drains the events before the next read.
/// One instance per response (after a checksum failure AWSSDK.Core's decoder stays in an error state, bedrock.md §6.3).
/// </summary>
public sealed class ConverseStreamDecoder : IDisposable
{
    private readonly EventStreamDecoder _decoder = new();
    private readonly Queue<EventStreamMessage> _frames = new();
    private byte[] _text;
    private bool _stopped;
    private ModelException? _malformed;
    private bool _disposed;

    public ConverseStreamDecoder()
    {
        _text = ArrayPool<byte>.Shared.Rent(1024);

        // The decoder raises MessageReceived synchronously inside ProcessData for every complete frame.
        // Frames are only queued here and translated in TryRead, so that each text delta can reuse one buffer
        // (a yielded ModelEvent.Text is valid until the next event is requested) and so that translation errors
        // are not mistaken for decoder errors.
        _decoder.MessageReceived += (_, e) => _frames.Enqueue(e.Message);
    }

    /// <summary>True once <c>messageStop</c> has been decoded.</summary>
    public bool MessageStopped => _stopped;

    /// <summary>Feeds <paramref name="count"/> bytes from the start of <paramref name="data"/>; frames may be split anywhere.</summary>
    /// <remarks>
    /// A CRC or framing error does not throw here: the frames completed before it are still handed out by
    /// <see cref="TryRead"/>, which then throws <see cref="ModelErrorCodes.MalformedStream"/>.
    /// </remarks>
    public void Feed(byte[] data, int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count == 0 || _malformed is not null)
        {
            return;
        }

        try
        {
            // bedrock.md §6.3 quirk: the third argument is an END index, not a count — always pass offset 0.
            _decoder.ProcessData(data, 0, count);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // EventStreamChecksumFailureException, EventStreamParseException …: the rest of the stream is unusable
            // (the decoder stays in an error state, bedrock.md §6.3).
            _malformed = new ModelException(ModelErrorCodes.MalformedStream, $"Bedrock sent a malformed event stream: {e.Message}", inner: e);
        }
    }

    /// <summary>
    /// Returns the next event decoded so far, skipping frames that carry nothing for the caller
    /// (messageStart, contentBlockStart/Stop, non-text deltas, unknown event types).
    /// </summary>
    /// <exception cref="ModelException">An exception/error frame (bedrock.md §1.5/§1.6), a payload that is not the expected JSON,
    /// or, once the frames before it are drained, a CRC/framing error.</exception>
    public bool TryRead(out ModelEvent modelEvent)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (_frames.TryDequeue(out EventStreamMessage? frame))
        {
            if (TryTranslate(frame, out modelEvent))
            {
                return true;
            }
        }

        modelEvent = default;
        if (_malformed is not null)
        {
            throw _malformed;
        }

        return false;
    }

    /// <summary>Call when the body ended.</summary>
    /// <exception cref="ModelException"><see cref="ModelErrorCodes.StreamTruncated"/> when no <c>messageStop</c> arrived (bedrock.md §7).</exception>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_malformed is not null)
        {
            throw _malformed;
        }

        if (!_stopped)
        {
            throw new ModelException(ModelErrorCodes.StreamTruncated, "The Bedrock stream ended before messageStop; the answer is incomplete.");
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _frames.Clear();
        _decoder.Dispose();
        ArrayPool<byte>.Shared.Return(_text);
        _text = [];
    }

    private bool TryTranslate(EventStreamMessage frame, out ModelEvent modelEvent)
    {
        modelEvent = default;
        string messageType = Header(frame, ":message-type") ?? string.Empty;
        switch (messageType)
        {
            case "event":
                break;
            case "exception":
                throw FromExceptionFrame(frame);
            case "error":
                // Generic protocol error: no payload, the code and message are headers (bedrock.md §1.5).
                throw new ModelException(
                    Header(frame, ":error-code") is { Length: > 0 } code ? code : "UnknownError",
                    Header(frame, ":error-message") ?? "Bedrock reported an error in the event stream.");
            default:
                throw new ModelException(ModelErrorCodes.MalformedStream, $"Unknown event-stream message type '{messageType}'.");
        }

        string? eventType = Header(frame, ":event-type");
        ReadOnlySpan<byte> payload = frame.Payload ?? [];
        try
        {
            switch (eventType)
            {
                case "contentBlockDelta":
                    int length = ConverseEventParser.ReadTextDelta(payload, ref _text, ArrayPool<byte>.Shared);
                    if (length <= 0)
                    {
                        return false; // toolUse / reasoningContent / empty text: nothing to stream
                    }

                    modelEvent = ModelEvent.Delta(new ReadOnlyMemory<byte>(_text, 0, length));
                    return true;

                case "messageStop":
                    _stopped = true;
                    modelEvent = ModelEvent.Stop(ConverseEventParser.ReadStopReason(payload));
                    return true;

                case "metadata":
                    (TokenUsage usage, long latencyMs) = ConverseEventParser.ReadMetadata(payload);
                    modelEvent = ModelEvent.Meta(usage, latencyMs);
                    return true;

                default:
                    return false; // messageStart, contentBlockStart, contentBlockStop, and event types added later
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new ModelException(ModelErrorCodes.MalformedStream, $"Bedrock sent an unreadable '{eventType}' event: {e.Message}", inner: e);
        }
    }

    private static ModelException FromExceptionFrame(EventStreamMessage frame)
    {
        // bedrock.md §1.5: ':exception-type' is the camelCase union member; the modeled error code is PascalCase.
        string type = Header(frame, ":exception-type") ?? string.Empty;
        string code = type.Length == 0 ? "UnknownException" : string.Concat(char.ToUpperInvariant(type[0]).ToString(), type.AsSpan(1));
        (string? message, _) = ConverseEventParser.ReadErrorMessage(frame.Payload ?? []);
        return new ModelException(code, message ?? code);
    }

    // Bedrock's protocol headers are all strings (bedrock.md §1.5); a header of another type counts as absent.
    private static string? Header(EventStreamMessage frame, string name) =>
        frame.Headers is { } headers && headers.TryGetValue(name, out IEventStreamHeader? header) && header.HeaderType == EventStreamHeaderType.String
            ? header.AsString()
            : null;
}
