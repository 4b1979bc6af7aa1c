using System.Buffers;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// Amazon Bedrock's ConverseStream API as a Microsoft.Extensions.AI <see cref="IChatClient"/>, built from AWSSDK.Core
/// pieces only (credentials chain, SigV4 signer, event-stream decoder) so that the function needs no other AWS package.
/// It maps messages, options and streamed events as AWS.Bedrock.MEAI (<c>runtime.AsIChatClient(modelId)</c>) does;
/// see <see cref="ConverseRequestWriter"/> and <see cref="ConverseUpdateTranslator"/>. Failures are
/// <see cref="ModelException"/>s: before the stream with Bedrock's HTTP status and <c>Retry-After</c>, inside it
/// with the exception frame's type.
/// </summary>
public sealed class BedrockChatClient : IChatClient
{
    /// <summary>The provider name of <see cref="ChatClientMetadata"/> (OpenTelemetry's <c>gen_ai.system</c> for Bedrock).</summary>
    public const string ProviderName = "aws.bedrock";

    private const int ReadBufferSize = 16 * 1024;
    private static readonly MediaTypeHeaderValue JsonContentType = new(SigV4Signer.ContentType);

    private readonly string _modelId;
    private readonly Uri _baseUri;
    private readonly string _region;
    private readonly AWSCredentials? _credentials;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly BedrockModel _model;
    private readonly ChatClientMetadata _metadata;

    /// <param name="modelId">Model id, inference-profile id or ARN used when <see cref="ChatOptions.ModelId"/> is not set.</param>
    /// <param name="endpoint">Base URL, e.g. <c>https://bedrock-runtime.us-east-1.amazonaws.com</c> or a local fake.</param>
    /// <param name="region">Signing region.</param>
    /// <param name="options">Prompt caching and reasoning settings for the model.</param>
    /// <param name="credentials">Credentials to sign with; null = AWSSDK.Core's default chain, resolved per request.</param>
    /// <param name="httpClient">Client to send with (wrap a test <see cref="HttpMessageHandler"/> in one); null = <see cref="BedrockHttp.Shared"/>.</param>
    /// <param name="timeProvider">Clock for <c>X-Amz-Date</c> and update times; null = system clock.</param>
    public BedrockChatClient(
        string modelId,
        Uri endpoint,
        string region,
        BedrockChatClientOptions? options = null,
        AWSCredentials? credentials = null,
        HttpClient? httpClient = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        if (!endpoint.IsAbsoluteUri)
        {
            throw new ArgumentException("The endpoint must be an absolute URL.", nameof(endpoint));
        }

        _modelId = modelId;
        _baseUri = endpoint;
        _region = region;
        _credentials = credentials;
        _http = httpClient ?? BedrockHttp.Shared;
        _time = timeProvider ?? TimeProvider.System;
        _model = new BedrockModel(modelId, options ?? new BedrockChatClientOptions());
        _metadata = new ChatClientMetadata(ProviderName, endpoint, modelId);
    }

    /// <summary>
    /// A client for <paramref name="modelId"/> with the region and endpoint of the environment
    /// (<see cref="BedrockEndpoint.FromEnvironment"/>), the default credentials chain and the shared HTTP client, for
    /// the function's start-up: it also reads the TLS root certificates (<see cref="TrustStore.Preload"/>) when the
    /// endpoint is HTTPS, so that the first answer does not wait for them.
    /// </summary>
    /// <exception cref="ConfigurationException">The endpoint override is not a URL, or the options do not fit the model.</exception>
    public static BedrockChatClient FromEnvironment(string modelId, BedrockChatClientOptions? options = null)
    {
        BedrockEndpoint endpoint = BedrockEndpoint.FromEnvironment();
        var client = new BedrockChatClient(modelId, endpoint.BaseUri, endpoint.Region, options);
        if (endpoint.BaseUri.Scheme == Uri.UriSchemeHttps)
        {
            TrustStore.Preload();
        }

        return client;
    }

    /// <summary>The URL of a ConverseStream call, the model id escaped once (<c>:</c> → <c>%3A</c>).</summary>
    public Uri ConverseStreamUri(string modelId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        // An endpoint override may carry a base path; it is kept. Built from a string so that Uri keeps
        // %3A/%2F escaped in AbsolutePath, which is what gets sent and signed.
        string basePath = _baseUri.AbsolutePath.TrimEnd('/');
        return new Uri($"{_baseUri.GetLeftPart(UriPartial.Authority)}{basePath}/model/{Uri.EscapeDataString(modelId)}/converse-stream");
    }

    /// <summary>
    /// The whole answer, assembled from the same ConverseStream call: the function's role may only call
    /// <c>bedrock:InvokeModelWithResponseStream</c>, which does not cover the non-streaming Converse API.
    /// </summary>
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);

        using HttpRequestMessage httpRequest = await CreateRequestAsync(messages, options, cancellationToken).ConfigureAwait(false);
        using HttpResponseMessage response = await SendAsync(httpRequest, cancellationToken).ConfigureAwait(false);

        if (!response.IsSuccessStatusCode)
        {
            throw await BedrockErrorResponse.ReadAsync(response, _time, cancellationToken).ConfigureAwait(false);
        }

        Stream body = await ReadBodyStreamAsync(response, cancellationToken).ConfigureAwait(false);
        await using ConfiguredAsyncDisposable bodyScope = body.ConfigureAwait(false);
        using var decoder = new ConverseStreamDecoder();
        var translator = new ConverseUpdateTranslator(_time);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ReadBufferSize);
        try
        {
            while (true)
            {
                int read = await ReadAsync(body, buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    // Usage (the metadata event) follows messageStop, so the body is read to its end.
                    decoder.Complete();
                    translator.Complete();
                    yield break;
                }

                decoder.Feed(buffer, read);

                // Hand out every event this read completed before reading again: the caller sees text as soon as it arrives.
                while (decoder.TryRead(out ConverseStreamEvent streamEvent))
                {
                    if (translator.Translate(streamEvent) is { } update)
                    {
                        yield return update;
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    public void Dispose()
    {
        // The HTTP client is shared (or the caller's): nothing to release here.
    }

    private async Task<HttpRequestMessage> CreateRequestAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        ImmutableCredentials credentials = await GetCredentialsAsync(cancellationToken).ConfigureAwait(false);

        // One body buffer per call; it must outlive SendAsync, so it is not pooled.
        var body = new ArrayBufferWriter<byte>(1024);
        ConverseRequestWriter.Write(body, messages, options, _model.Shape(messages, options));

        Uri uri = ConverseStreamUri(options?.ModelId ?? _modelId);
        string host = uri.Authority;
        SigV4Headers signature = SigV4Signer.SignPost(uri, host, body.WrittenSpan, credentials, _region, _time.GetUtcNow().UtcDateTime);

        var message = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Content = new ReadOnlyMemoryContent(body.WrittenMemory),
        };
        message.Content.Headers.ContentType = JsonContentType;
        // The signed host must be the sent one, so it is set explicitly.
        message.Headers.Host = host;
        message.Headers.TryAddWithoutValidation("X-Amz-Date", signature.AmzDate);
        message.Headers.TryAddWithoutValidation("Authorization", signature.Authorization);
        if (signature.SecurityToken is not null)
        {
            message.Headers.TryAddWithoutValidation("X-Amz-Security-Token", signature.SecurityToken);
        }

        message.Headers.Accept.ParseAdd("application/vnd.amazon.eventstream");
        return message;
    }

    private async Task<ImmutableCredentials> GetCredentialsAsync(CancellationToken cancellationToken)
    {
        try
        {
            // The default chain caches its provider; GetCredentialsAsync refreshes expiring role credentials, so it
            // is asked on every request (https://docs.aws.amazon.com/sdk-for-net/v4/developer-guide/creds-assign.html).
            AWSCredentials source = _credentials ?? await DefaultAWSCredentialsIdentityResolver.GetCredentialsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            return await source.GetCredentialsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            throw new ModelException(ModelErrorCodes.CredentialsError, $"No AWS credentials to sign the Bedrock request: {e.Message}", inner: e);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            // ResponseHeadersRead: return as soon as the headers are in, never buffer the event stream.
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new ModelException(ModelErrorCodes.ConnectionError, $"Could not reach Bedrock at {_baseUri.Host}: {e.Message}", inner: e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            // Only a caller-supplied HttpClient with a Timeout gets here.
            throw new ModelException(ModelErrorCodes.ConnectionError, "The request to Bedrock timed out.", inner: e);
        }
    }

    private static async Task<Stream> ReadBodyStreamAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // A read aborted by cancellation can surface as an IOException; report it as the cancellation it is.
            cancellationToken.ThrowIfCancellationRequested();
            throw new ModelException(ModelErrorCodes.ConnectionError, $"The Bedrock stream failed: {e.Message}", inner: e);
        }
    }

    private static async ValueTask<int> ReadAsync(Stream body, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // A read aborted by cancellation can surface as an IOException; report it as the cancellation it is.
            cancellationToken.ThrowIfCancellationRequested();
            throw new ModelException(ModelErrorCodes.ConnectionError, $"The Bedrock stream broke: {e.Message}", inner: e);
        }
    }
}
