using System.Buffers;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Text;
using Amazon.BedrockRuntime;
using Amazon.BedrockRuntime.Model;
using Amazon.Runtime;
using Amazon.Runtime.EventStreams;
using ChatTokenUsage = BedrockStream.Function.TokenUsage;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// <see cref="IChatModel"/> over <c>AmazonBedrockRuntimeClient.ConverseStreamAsync</c> (AWSSDK.BedrockRuntime):
/// the SDK signs, resolves the endpoint (including <c>AWS_ENDPOINT_URL_BEDROCK_RUNTIME</c>)
/// and decodes the event stream; this class maps its typed events and exceptions to <see cref="ModelEvent"/> and
/// <see cref="ModelException"/> (bedrock.md §4).
/// </summary>
public sealed class BedrockChatModel : IChatModel
{
    private const int InitialTextBufferSize = 1024;

    private readonly IAmazonBedrockRuntime _client;

    /// <param name="client">The Bedrock Runtime client (a test can pass its own <see cref="IAmazonBedrockRuntime"/>).</param>
    public BedrockChatModel(IAmazonBedrockRuntime client)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
    }

    /// <summary>
    /// A client configured the SDK's way: region from <c>AWS_REGION</c>, credentials from the default chain, endpoint
    /// from the SDK's endpoint rules or <c>AWS_ENDPOINT_URL_BEDROCK_RUNTIME</c> / <c>AWS_ENDPOINT_URL</c>.
    /// </summary>
    public static BedrockChatModel FromEnvironment()
    {
        var config = new AmazonBedrockRuntimeConfig
        {
            // An answer may stream for the whole invocation; the handler's deadline token ends it, not the HTTP timeout.
            Timeout = TimeSpan.FromMinutes(15),
            // One retry layer, the same in both stacks: the handler's RetryPolicy retries throttling before the
            // first byte and only within the deadline. SDK retries on top would multiply the calls.
            MaxErrorRetry = 0,
        };
        return new BedrockChatModel(new AmazonBedrockRuntimeClient(config));
    }

    public async IAsyncEnumerable<ModelEvent> StreamAsync(ChatRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);

        using ConverseStreamResponse response = await StartAsync(ToConverseStreamRequest(request), cancellationToken).ConfigureAwait(false);
        ConverseStreamOutput stream = response.Stream
            ?? throw new ModelException(ModelErrorCodes.StreamTruncated, "Bedrock answered without an event stream.");

        // One buffer for the UTF-8 text of every delta: a yielded ModelEvent.Text is valid until the next event (IChatModel).
        byte[] text = ArrayPool<byte>.Shared.Rent(InitialTextBufferSize);
        bool stopped = false;
        IAsyncEnumerator<IEventStreamEvent> events = stream.GetAsyncEnumerator(cancellationToken);
        try
        {
            while (await MoveNextAsync(events, cancellationToken).ConfigureAwait(false))
            {
                switch (events.Current)
                {
                    case ContentBlockDeltaEvent { Delta.Text: { Length: > 0 } delta }:
                        int maxBytes = Encoding.UTF8.GetMaxByteCount(delta.Length);
                        if (text.Length < maxBytes)
                        {
                            ArrayPool<byte>.Shared.Return(text);
                            text = ArrayPool<byte>.Shared.Rent(maxBytes);
                        }

                        int length = Encoding.UTF8.GetBytes(delta, text);
                        yield return ModelEvent.Delta(text.AsMemory(0, length));
                        break;

                    case MessageStopEvent stop:
                        stopped = true;
                        yield return ModelEvent.Stop(stop.StopReason?.Value ?? "unknown");
                        break;

                    case ConverseStreamMetadataEvent metadata:
                        // Metadata follows messageStop (bedrock.md §1.4), so the stream is read to its end.
                        yield return ModelEvent.Meta(
                            new ChatTokenUsage(metadata.Usage?.InputTokens ?? 0, metadata.Usage?.OutputTokens ?? 0),
                            metadata.Metrics?.LatencyMs ?? 0);
                        break;

                    // messageStart, contentBlockStart/Stop, tool-use or reasoning deltas: nothing to relay.
                }
            }
        }
        finally
        {
            await events.DisposeAsync().ConfigureAwait(false);
            ArrayPool<byte>.Shared.Return(text);
        }

        if (!stopped)
        {
            throw new ModelException(ModelErrorCodes.StreamTruncated, "The Bedrock stream ended before messageStop.");
        }
    }

    /// <summary>The ConverseStream request; <c>temperature</c> only when the caller set it (some models reject it, bedrock.md §0.4).</summary>
    internal static ConverseStreamRequest ToConverseStreamRequest(ChatRequest request)
    {
        var messages = new List<Message>(request.Messages.Count);
        foreach (ChatMessage message in request.Messages)
        {
            messages.Add(new Message
            {
                Role = string.Equals(message.Role, "assistant", StringComparison.OrdinalIgnoreCase) ? ConversationRole.Assistant : ConversationRole.User,
                Content = [new ContentBlock { Text = message.Content }],
            });
        }

        var inference = new InferenceConfiguration { MaxTokens = request.MaxTokens };
        if (request.Temperature is double temperature)
        {
            inference.Temperature = (float)temperature;
        }

        var converse = new ConverseStreamRequest
        {
            ModelId = request.ModelId,
            Messages = messages,
            InferenceConfig = inference,
        };
        if (!string.IsNullOrEmpty(request.System))
        {
            converse.System = [new SystemContentBlock { Text = request.System }];
        }

        return converse;
    }

    /// <summary>The call itself: the SDK's retries apply here, before any event has arrived.</summary>
    private async Task<ConverseStreamResponse> StartAsync(ConverseStreamRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.ConverseStreamAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && ToModelException(e, beforeStream: true) is { } mapped)
        {
            throw mapped;
        }
    }

    private static async ValueTask<bool> MoveNextAsync(IAsyncEnumerator<IEventStreamEvent> events, CancellationToken cancellationToken)
    {
        try
        {
            return await events.MoveNextAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && ToModelException(e, beforeStream: false) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>
    /// Modeled errors keep Bedrock's code (e.g. <c>ThrottlingException</c>) and, before the stream, the HTTP status.
    /// In-stream errors arrive as <see cref="BedrockRuntimeEventStreamException"/> with the modeled exception inside.
    /// The SDK does not expose response headers on its exceptions, so no <c>Retry-After</c> is known here.
    /// </summary>
    internal static ModelException? ToModelException(Exception error, bool beforeStream)
    {
        switch (error)
        {
            case ModelException model:
                return model;
            case OperationCanceledException or OutOfMemoryException:
                return null;
            case BedrockRuntimeEventStreamException { InnerException: AmazonServiceException modeled }:
                return FromService(modeled, statusCode: null, error);
            case BedrockRuntimeEventStreamException { InnerException: IOException or HttpRequestException } broken:
                return new ModelException(ModelErrorCodes.ConnectionError, $"The Bedrock stream broke: {broken.InnerException!.Message}", inner: error);
            case BedrockRuntimeEventStreamException malformed:
                return new ModelException(ModelErrorCodes.MalformedStream, $"The Bedrock stream could not be decoded: {(malformed.InnerException ?? malformed).Message}", inner: error);
            case AmazonServiceException { StatusCode: 0, InnerException: IOException or HttpRequestException } network:
                return new ModelException(ModelErrorCodes.ConnectionError, $"Could not reach Bedrock: {network.InnerException!.Message}", inner: error);
            case AmazonServiceException service:
                int status = (int)service.StatusCode;
                return FromService(service, beforeStream && status > 0 ? status : null, error);
            case IOException or HttpRequestException:
                return new ModelException(ModelErrorCodes.ConnectionError,
                    beforeStream ? $"Could not reach Bedrock: {error.Message}" : $"The Bedrock stream broke: {error.Message}", inner: error);
            case AmazonClientException client when client.Message.Contains("credential", StringComparison.OrdinalIgnoreCase):
                return new ModelException(BedrockErrorCodes.CredentialsError, $"No AWS credentials to sign the Bedrock request: {client.Message}", inner: error);
            case AmazonClientException client:
                return new ModelException(BedrockErrorCodes.ClientError, $"The Bedrock client failed: {client.Message}", inner: error);
            default:
                return null;
        }
    }

    private static ModelException FromService(AmazonServiceException service, int? statusCode, Exception error)
    {
        string code = string.IsNullOrEmpty(service.ErrorCode) ? service.GetType().Name : service.ErrorCode;
        return new ModelException(code, service.Message, statusCode, retryAfter: null, inner: error);
    }
}
