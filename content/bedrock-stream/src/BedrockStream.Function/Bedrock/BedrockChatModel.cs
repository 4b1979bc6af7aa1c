using System.Buffers;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;

namespace BedrockStream.Function.Bedrock;

/// <summary>
/// <see cref="IChatModel"/> over Bedrock Runtime ConverseStream, built from AWSSDK.Core pieces only
/// (signer, credentials chain, event-stream decoder) because AWSSDK.BedrockRuntime is not available (bedrock.md §0.1, §6).
/// </summary>
public sealed class BedrockChatModel : IChatModel
{
    private const int ReadBufferSize = 16 * 1024;
    private static readonly MediaTypeHeaderValue JsonContentType = new(SigV4Signer.ContentType);

    private readonly Uri _baseUri;
    private readonly string _region;
    private readonly AWSCredentials? _credentials;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;

    /// <param name="endpoint">Base URL, e.g. <c>https://bedrock-runtime.us-east-1.amazonaws.com</c> or a local fake.</param>
    /// <param name="region">Signing region.</param>
    /// <param name="credentials">Credentials to sign with; null = AWSSDK.Core's default chain, resolved per request.</param>
    /// <param name="httpClient">Client to send with (wrap a test <see cref="HttpMessageHandler"/> in one); null = <see cref="BedrockHttp.Shared"/>.</param>
    /// <param name="timeProvider">Clock for <c>X-Amz-Date</c>; null = system clock.</param>
    public BedrockChatModel(Uri endpoint, string region, AWSCredentials? credentials = null, HttpClient? httpClient = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        if (!endpoint.IsAbsoluteUri)
        {
            throw new ArgumentException("The endpoint must be an absolute URL.", nameof(endpoint));
        }

        _baseUri = endpoint;
        _region = region;
        _credentials = credentials;
        _http = httpClient ?? BedrockHttp.Shared;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Region and endpoint from the environment (<see cref="BedrockEndpoint.FromEnvironment"/>), default credentials chain, shared client.</summary>
    public static BedrockChatModel FromEnvironment()
    {
        BedrockEndpoint endpoint = BedrockEndpoint.FromEnvironment();
        return new BedrockChatModel(endpoint.BaseUri, endpoint.Region);
    }

    /// <summary>The URL of a ConverseStream call: the model id escaped once (<c>:</c> → <c>%3A</c>, bedrock.md §0.3).</summary>
    public Uri ConverseStreamUri(string modelId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        // An endpoint override may carry a base path; it is kept. Built from a string so that Uri keeps
        // %3A/%2F escaped in AbsolutePath, which is what gets sent and signed (bedrock.md §6.2).
        string basePath = _baseUri.AbsolutePath.TrimEnd('/');
        return new Uri($"{_baseUri.GetLeftPart(UriPartial.Authority)}{basePath}/model/{Uri.EscapeDataString(modelId)}/converse-stream");
    }

    public async IAsyncEnumerable<ModelEvent> StreamAsync(ChatRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);

        using HttpRequestMessage httpRequest = await CreateRequestAsync(request, cancellationToken).ConfigureAwait(false);
        using HttpResponseMessage response = await SendAsync(httpRequest, cancellationToken).ConfigureAwait(false);

        if (!response.IsSuccessStatusCode)
        {
            throw await BedrockErrorResponse.ReadAsync(response, _time, cancellationToken).ConfigureAwait(false);
        }

        Stream body = await ReadBodyStreamAsync(response, cancellationToken).ConfigureAwait(false);
        await using ConfiguredAsyncDisposable bodyScope = body.ConfigureAwait(false);
        using var decoder = new ConverseStreamDecoder();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ReadBufferSize);
        try
        {
            while (true)
            {
                int read = await ReadAsync(body, buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    // Metadata follows messageStop (bedrock.md §1.4), so the body is read to its end.
                    decoder.Complete();
                    yield break;
                }

                decoder.Feed(buffer, read);

                // Yield every frame this read completed before reading again: the caller sees text as soon as it arrives.
                while (decoder.TryRead(out ModelEvent modelEvent))
                {
                    yield return modelEvent;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<HttpRequestMessage> CreateRequestAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        ImmutableCredentials credentials = await GetCredentialsAsync(cancellationToken).ConfigureAwait(false);

        // One body buffer per invocation; it must outlive SendAsync, so it is not pooled.
        var body = new ArrayBufferWriter<byte>(512);
        ConverseRequestWriter.Write(request, body);

        Uri uri = ConverseStreamUri(request.ModelId);
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
            // bedrock.md §6.1: the default chain caches its provider; GetCredentialsAsync refreshes expiring
            // role credentials, so it is asked on every request.
            AWSCredentials source = _credentials ?? await DefaultAWSCredentialsIdentityResolver.GetCredentialsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            return await source.GetCredentialsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            throw new ModelException(BedrockErrorCodes.CredentialsError, $"No AWS credentials to sign the Bedrock request: {e.Message}", inner: e);
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
