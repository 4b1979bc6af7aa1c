using Amazon.Runtime.EventStreams;
using Amazon.Runtime.EventStreams.Internal;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// One event of a ConverseStream response: its <c>:event-type</c> (<c>messageStart</c>, <c>contentBlockDelta</c>,
/// <c>messageStop</c>, <c>metadata</c>, …) and its JSON payload. It is the <see cref="Microsoft.Extensions.AI.ChatResponseUpdate.RawRepresentation"/>
/// of the update <see cref="BedrockChatClient"/> made from it, as AWS.Bedrock.MEAI exposes the SDK's event there.
/// </summary>
public sealed record ConverseStreamEvent(string EventType, ReadOnlyMemory<byte> Payload);

/// <summary>
/// Turns the bytes of one ConverseStream response body into <see cref="ConverseStreamEvent"/>s with AWSSDK.Core's
/// event-stream decoder (the binary framing: https://docs.aws.amazon.com/transcribe/latest/dg/event-stream.html).
/// Synchronous and I/O-free: the caller feeds whatever each network read returned and drains the events before the
/// next read. One instance per response: after a checksum failure AWSSDK.Core's decoder stays in an error state.
/// </summary>
internal sealed class ConverseStreamDecoder : IDisposable
{
    private readonly EventStreamDecoder _decoder = new();
    private readonly Queue<EventStreamMessage> _frames = new();
    private ModelException? _malformed;
    private bool _disposed;

    public ConverseStreamDecoder()
    {
        // The decoder raises MessageReceived synchronously inside ProcessData for every complete frame; frames are
        // only queued here and translated in TryRead, so translation errors are not mistaken for decoder errors.
        _decoder.MessageReceived += (_, e) => _frames.Enqueue(e.Message);
    }

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
            // AWSSDK.Core quirk: the third argument of ProcessData is an END index, not a count, so the offset is always 0.
            _decoder.ProcessData(data, 0, count);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // EventStreamChecksumFailureException, EventStreamParseException …: the rest of the stream is unusable.
            _malformed = new ModelException(ModelErrorCodes.MalformedStream, $"Bedrock sent a malformed event stream: {e.Message}", inner: e);
        }
    }

    /// <summary>Returns the next event decoded so far.</summary>
    /// <exception cref="ModelException">An exception or error frame (an error Bedrock reports after HTTP 200), or,
    /// once the frames before it are drained, a CRC/framing error.</exception>
    public bool TryRead(out ConverseStreamEvent streamEvent)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_frames.TryDequeue(out EventStreamMessage? frame))
        {
            streamEvent = Translate(frame);
            return true;
        }

        streamEvent = null!;
        if (_malformed is not null)
        {
            throw _malformed;
        }

        return false;
    }

    /// <summary>Call when the body ended: throws the framing error, if one is pending.</summary>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_malformed is not null)
        {
            throw _malformed;
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
    }

    // ConverseStream frame headers (all strings): ':message-type' is event | exception | error; events carry
    // ':event-type', exceptions ':exception-type' (the camelCase union member) and a {"message"} payload, generic
    // protocol errors ':error-code' and ':error-message' and no payload.
    private static ConverseStreamEvent Translate(EventStreamMessage frame)
    {
        string messageType = Header(frame, ":message-type") ?? string.Empty;
        switch (messageType)
        {
            case "event":
                return new ConverseStreamEvent(Header(frame, ":event-type") ?? string.Empty, frame.Payload ?? []);
            case "exception":
                throw FromExceptionFrame(frame);
            case "error":
                throw new ModelException(
                    Header(frame, ":error-code") is { Length: > 0 } code ? code : "UnknownError",
                    Header(frame, ":error-message") ?? "Bedrock reported an error in the event stream.");
            default:
                throw new ModelException(ModelErrorCodes.MalformedStream, $"Unknown event-stream message type '{messageType}'.");
        }
    }

    private static ModelException FromExceptionFrame(EventStreamMessage frame)
    {
        // ':exception-type' is the camelCase union member (throttlingException); the modeled error code is PascalCase.
        string type = Header(frame, ":exception-type") ?? string.Empty;
        string code = type.Length == 0 ? "UnknownException" : string.Concat(char.ToUpperInvariant(type[0]).ToString(), type.AsSpan(1));
        (string? message, _) = ConverseEventParser.ReadErrorMessage(frame.Payload ?? []);
        return new ModelException(code, message ?? code);
    }

    // Bedrock's protocol headers are all strings; a header of another type counts as absent.
    private static string? Header(EventStreamMessage frame, string name) =>
        frame.Headers is { } headers && headers.TryGetValue(name, out IEventStreamHeader? header) && header.HeaderType == EventStreamHeaderType.String
            ? header.AsString()
            : null;
}
