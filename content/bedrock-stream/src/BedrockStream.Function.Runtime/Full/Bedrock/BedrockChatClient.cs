using System.Runtime.CompilerServices;
using Amazon.BedrockRuntime;
using Amazon.BedrockRuntime.Model;
using Amazon.Runtime;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// Amazon Bedrock as a Microsoft.Extensions.AI <see cref="IChatClient"/>: AWS.Bedrock.MEAI's
/// <c>runtime.AsIChatClient(modelId)</c> over AWSSDK.BedrockRuntime (https://github.com/aws/aws-dotnet-ai), with
/// two things added at the edge so that the function's code is the same as in the <c>--sdk core</c> variant:
/// <list type="bullet">
/// <item>the request is shaped for the model (<see cref="BedrockModel"/>: reasoning fields and budget, sampling left
/// out where the model forbids it, prompt-cache points) through <see cref="ChatOptions.RawRepresentationFactory"/>,
/// which AWS.Bedrock.MEAI honours;</item>
/// <item>the SDK's exceptions become <see cref="ModelException"/>s with Bedrock's error code, and a stream that ends
/// without <c>messageStop</c> is reported as truncated.</item>
/// </list>
/// </summary>
public sealed class BedrockChatClient : DelegatingChatClient
{
    private readonly BedrockModel _model;

    /// <param name="runtime">The Bedrock Runtime client (a test can pass its own).</param>
    /// <param name="modelId">Model id, inference-profile id or ARN used when <see cref="ChatOptions.ModelId"/> is not set.</param>
    /// <param name="options">Prompt caching and reasoning settings for the model.</param>
    public BedrockChatClient(IAmazonBedrockRuntime runtime, string modelId, BedrockChatClientOptions? options = null)
        : base(runtime.AsIChatClient(modelId))
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        _model = new BedrockModel(modelId, options ?? new BedrockChatClientOptions());
    }

    /// <summary>
    /// A client configured the SDK's way: region from <c>AWS_REGION</c>, credentials from the default chain, the endpoint
    /// from the SDK's endpoint rules or <c>AWS_ENDPOINT_URL_BEDROCK_RUNTIME</c> / <c>AWS_ENDPOINT_URL</c>; for the
    /// function's start-up, so it also reads the TLS root certificates now (<see cref="TrustStore.Preload"/>).
    /// </summary>
    public static BedrockChatClient FromEnvironment(string modelId, BedrockChatClientOptions? options = null)
    {
        var config = new AmazonBedrockRuntimeConfig
        {
            // An answer may stream for the whole invocation; the handler's deadline token ends it, not the HTTP timeout.
            Timeout = TimeSpan.FromMinutes(15),
            // One retry layer, the same in both variants: the handler retries throttling before the first byte and
            // only within the deadline. SDK retries on top would multiply the calls.
            MaxErrorRetry = 0,
            HttpClientFactory = new BedrockHttpClientFactory(),
        };
        var client = new BedrockChatClient(new AmazonBedrockRuntimeClient(config), modelId, options);
        TrustStore.Preload();
        return client;
    }

    /// <summary>
    /// The whole answer, assembled from the same ConverseStream call: the function's role may only call
    /// <c>bedrock:InvokeModelWithResponseStream</c>, which does not cover the non-streaming Converse API.
    /// </summary>
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var (shapedMessages, shapedOptions) = ConverseRequests.Shape(messages, options, _model.Shape(messages, options));

        // Cancelled when the caller's token is, and when this call ends for any reason: that ends the HTTP response,
        // which AWS.Bedrock.MEAI would otherwise leave open (see BedrockHttpClientFactory).
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var http = new BedrockHttpClientFactory.ModelCall(call.Token);
        BedrockHttpClientFactory.CurrentCall.Value = http;
        try
        {
            await using var updates = base.GetStreamingResponseAsync(shapedMessages, shapedOptions, call.Token).GetAsyncEnumerator(call.Token);
            bool stopped = false;
            while (true)
            {
                try
                {
                    if (!await updates.MoveNextAsync().ConfigureAwait(false))
                        break;
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested && ToModelException(e, http.RetryAfter) is { } mapped)
                {
                    throw mapped;
                }

                stopped |= updates.Current.RawRepresentation is MessageStopEvent;
                yield return updates.Current;
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (!stopped)
                throw new ModelException(ModelErrorCodes.StreamTruncated, "The Bedrock stream ended before messageStop; the answer is incomplete.");
        }
        finally
        {
            call.Cancel();
        }
    }

    /// <summary>
    /// The SDK's failures as <see cref="ModelException"/>s. Before the stream the SDK throws the modeled exception
    /// with Bedrock's error code and HTTP status (not its headers: <paramref name="retryAfter"/> comes from this
    /// client's HTTP handler). Inside the stream it throws <see cref="BedrockRuntimeEventStreamException"/> with the
    /// modeled exception inside, whose error code is not set: the exception's type name is Bedrock's error code there.
    /// </summary>
    internal static ModelException? ToModelException(Exception error, TimeSpan? retryAfter = null)
    {
        switch (error)
        {
            case ModelException model:
                return model;
            case OperationCanceledException or OutOfMemoryException:
                return null;
            case BedrockRuntimeEventStreamException { InnerException: AmazonServiceException modeled }:
                return new ModelException(CodeOf(modeled), MessageOf(modeled), inner: error);
            case BedrockRuntimeEventStreamException { InnerException: IOException or HttpRequestException } broken:
                return new ModelException(ModelErrorCodes.ConnectionError, $"The Bedrock stream broke: {broken.InnerException!.Message}", inner: error);
            case BedrockRuntimeEventStreamException malformed:
                return new ModelException(ModelErrorCodes.MalformedStream, $"The Bedrock stream could not be decoded: {(malformed.InnerException ?? malformed).Message}", inner: error);
            case AmazonServiceException { StatusCode: 0, InnerException: IOException or HttpRequestException } network:
                return new ModelException(ModelErrorCodes.ConnectionError, $"Could not reach Bedrock: {network.InnerException!.Message}", inner: error);
            case AmazonServiceException service:
                int status = (int)service.StatusCode;
                return new ModelException(CodeOf(service), MessageOf(service), status > 0 ? status : null, retryAfter, error);
            case IOException or HttpRequestException:
                return new ModelException(ModelErrorCodes.ConnectionError, $"The connection to Bedrock failed: {error.Message}", inner: error);
            case AmazonClientException client when client.Message.Contains("credential", StringComparison.OrdinalIgnoreCase):
                return new ModelException(ModelErrorCodes.CredentialsError, $"No AWS credentials to sign the Bedrock request: {client.Message}", inner: error);
            case AmazonClientException client:
                return new ModelException(ModelErrorCodes.ClientError, $"The Bedrock client failed: {client.Message}", inner: error);
            default:
                return null;
        }
    }

    private static string CodeOf(AmazonServiceException service) =>
        string.IsNullOrEmpty(service.ErrorCode) ? service.GetType().Name : service.ErrorCode;

    // modelStreamErrorException carries the model's own status and message; the outer "Model Stream Error" says little.
    private static string MessageOf(AmazonServiceException service) => service is ModelStreamErrorException model && (model.OriginalStatusCode is not null || model.OriginalMessage is not null)
        ? $"{model.Message} (model status {model.OriginalStatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}: {model.OriginalMessage})"
        : service.Message;
}
