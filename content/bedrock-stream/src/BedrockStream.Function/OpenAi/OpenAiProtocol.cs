using System.Buffers;
using System.Net;
using System.Text.Json;
using BedrockStream.Function.Runtime;

namespace BedrockStream.Function.OpenAi;

/// <summary>
/// <c>RESPONSE_FORMAT=openai</c>: the function as an OpenAI-compatible Chat Completions endpoint
/// (https://platform.openai.com/docs/api-reference/chat), so that OpenAI's SDKs and the tools built on them work unchanged:
/// <list type="bullet">
/// <item><c>POST /v1/chat/completions</c> (or <c>/chat/completions</c>): <see cref="OpenAiRequestParser"/> reads the request,
/// <see cref="OpenAiChunkWriter"/> streams the answer (<c>"stream": true</c>) or <see cref="OpenAiCompletionWriter"/>
/// sends it whole;</item>
/// <item><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>: the function's model, answered without calling it;</item>
/// <item>anything else: a 404 or 405 in OpenAI's error shape.</item>
/// </list>
/// The query string is ignored. Errors use OpenAI's shape <c>{"error":{"message","type","param","code"}}</c>.
/// The event is a Function URL's or a REST API's (<see cref="HttpRequestEvent"/>); with <c>CORS_ALLOW_ORIGIN</c> set,
/// <c>OPTIONS</c> is the CORS preflight's 204 and every response carries <c>Access-Control-Allow-Origin</c>.
/// </summary>
internal sealed class OpenAiProtocol(FunctionSettings settings, TimeProvider time) : IChatProtocol
{
    private readonly OpenAiRequestParser _parser = new(settings);
    private readonly KeyValuePair<string, string>[] _corsHeaders = SseTextProtocol.CorsHeaders(settings.CorsAllowOrigin);

    public async ValueTask<ChatExchange?> ReadAsync(ReadOnlyMemory<byte> payload, IHttpResponseStream response, InvocationLog log, CancellationToken cancellationToken)
    {
        HttpError error;
        if (ChatRequestParser.ReadEvent(payload.Span) is not { Method: { } method } httpRequest)
        {
            error = HttpError.InvalidRequest("The event is not an HTTP request (a Function URL or REST API event).");
        }
        else if (method == "OPTIONS" && settings.CorsAllowOrigin is not null)
        {
            error = HttpError.CorsPreflight();
        }
        else
        {
            string path = httpRequest.RequestPath;
            string? modelId = ModelIdIn(path);
            switch (path)
            {
                case "/v1/chat/completions" or "/chat/completions" when method == "POST":
                    if (ChatCompletion(httpRequest, response, log, out error) is { } exchange)
                        return exchange;
                    break;
                case "/v1/chat/completions" or "/chat/completions":
                    error = NotAllowed(method, path, "POST");
                    break;
                case "/v1/models" or "/models" when method == "GET":
                    await ReplyAsync(ModelList(), response, log, cancellationToken);
                    return null;
                case "/v1/models" or "/models":
                    error = NotAllowed(method, path, "GET");
                    break;
                case not null when modelId == settings.ModelId && method == "GET":
                    await ReplyAsync(Model(), response, log, cancellationToken);
                    return null;
                case not null when modelId is not null && method == "GET":
                    error = new HttpError(404, "ModelNotFound", $"The model '{modelId}' does not exist here: this endpoint serves '{settings.ModelId}'.") { Param = "model" };
                    break;
                default:
                    error = new HttpError(404, "UnknownUrl", $"Unknown request URL: {method} {(string.IsNullOrEmpty(path) ? "/" : path)}. Use POST /v1/chat/completions or GET /v1/models.");
                    break;
            }
        }

        await error.ReplyAsync(response, log, _corsHeaders, cancellationToken, error.IsError ? OpenAiJson.ErrorBody(error) : null);
        return null;
    }

    /// <summary>The id in <c>/v1/models/{id}</c> (or <c>/models/{id}</c>), URL-decoded, else null.</summary>
    private static string? ModelIdIn(string path)
    {
        foreach (var prefix in (ReadOnlySpan<string>)["/v1/models/", "/models/"])
            if (path.StartsWith(prefix, StringComparison.Ordinal) && path.Length > prefix.Length)
                return WebUtility.UrlDecode(path[prefix.Length..]);
        return null;
    }

    /// <summary>The request for the model and the writer its <c>stream</c> asks for, or null and the error.</summary>
    private ChatExchange? ChatCompletion(HttpRequestEvent httpRequest, IHttpResponseStream response, InvocationLog log, out HttpError error)
    {
        error = null!;
        if (string.IsNullOrEmpty(httpRequest.Body))
        {
            error = HttpError.InvalidRequest("The request body is empty: send a Chat Completions request, {\"model\":...,\"messages\":[...]}.");
            return null;
        }

        byte[]? rented = null;
        try
        {
            if (ChatRequestParser.ReadBody(httpRequest, settings.MaxRequestBytes, out rented, out int length) is { } invalid)
            {
                error = invalid;
                return null;
            }
            if (!_parser.TryParse(rented.AsSpan(0, length), out var call, out var parseError))
            {
                error = parseError;
                return null;
            }

            IAnswerWriter answer = call.Stream
                ? new OpenAiChunkWriter(response, log, settings.ModelId, call.IncludeUsage, time, _corsHeaders)
                : new OpenAiCompletionWriter(response, log, settings.ModelId, time, _corsHeaders);
            return new ChatExchange(call.Request, answer);
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static HttpError NotAllowed(string method, string path, string allowed) =>
        new(405, "MethodNotAllowed", $"Method {method} is not allowed on {path}: use {allowed}.") { Headers = [new("Allow", allowed)] };

    /// <summary>Answers with a 200 JSON body that needs no model.</summary>
    private async ValueTask ReplyAsync(byte[] body, IHttpResponseStream response, InvocationLog log, CancellationToken cancellationToken)
    {
        log.Status = 200;
        await response.StartAsync(200, [new("Content-Type", "application/json"), .. _corsHeaders], cancellationToken);
        await response.WriteAsync(body, cancellationToken);
        log.BytesSent += body.Length;
    }

    // {"object":"list","data":[<model>]}
    private byte[] ModelList() => Json(json =>
    {
        json.WriteString("object"u8, "list");
        json.WriteStartArray("data"u8);
        json.WriteStartObject();
        WriteModel(json);
        json.WriteEndObject();
        json.WriteEndArray();
    });

    private byte[] Model() => Json(WriteModel);

    // https://platform.openai.com/docs/api-reference/models/object
    private void WriteModel(Utf8JsonWriter json)
    {
        json.WriteString("id"u8, settings.ModelId);
        json.WriteString("object"u8, "model");
        json.WriteNumber("created"u8, 0);
        json.WriteString("owned_by"u8, "amazon-bedrock");
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JsonFraming.Encoder }))
        {
            json.WriteStartObject();
            write(json);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
