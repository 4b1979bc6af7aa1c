using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Tests.Handler;

/// <summary>
/// Behind a REST API (<c>--front rest-api</c>) the function receives the proxy integration's payload format 1.0
/// (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format):
/// the method, path, headers and multi-value headers, query parameters, a body that may be base64. It is answered
/// exactly like the Function URL's 2.0 event; and, when <c>CORS_ALLOW_ORIGIN</c> is set, every response names the
/// origin and a preflight gets its 204.
/// </summary>
public class RestApiEventTests
{
    private static readonly FunctionSettings Settings = new("model-x", MaxTokens: 2000, MaxRequestBytes: 64);

    /// <summary>A REST API proxy event as API Gateway sends it: no field of the 2.0 format.</summary>
    internal static byte[] RestEvent(string method, string? body = null, JsonObject? headers = null, JsonObject? multiValueHeaders = null,
        JsonObject? query = null, JsonObject? multiValueQuery = null, bool base64 = false, string path = "/")
    {
        var e = new JsonObject
        {
            ["resource"] = path == "/" ? "/" : "/{proxy+}",
            ["path"] = path,
            ["httpMethod"] = method,
            ["headers"] = headers ?? new JsonObject { ["Host"] = "abc123.execute-api.us-east-1.amazonaws.com", ["User-Agent"] = "curl/8.5.0" },
            ["multiValueHeaders"] = multiValueHeaders,
            ["queryStringParameters"] = query,
            ["multiValueQueryStringParameters"] = multiValueQuery,
            ["pathParameters"] = null,
            ["stageVariables"] = null,
            ["requestContext"] = new JsonObject
            {
                ["accountId"] = "123456789012",
                ["apiId"] = "abc123",
                ["httpMethod"] = method,
                ["identity"] = new JsonObject { ["sourceIp"] = "1.2.3.4", ["apiKey"] = "key-value", ["apiKeyId"] = "k1" },
                ["path"] = "/prod" + path,
                ["protocol"] = "HTTP/1.1",
                ["requestId"] = "rest-req-1",
                ["resourcePath"] = path == "/" ? "/" : "/{proxy+}",
                ["stage"] = "prod",
            },
            ["body"] = body,
            ["isBase64Encoded"] = base64,
        };
        return Encoding.UTF8.GetBytes(e.ToJsonString());
    }

    private static JsonObject Json(string name, string value) => new() { [name] = value };
    private static JsonObject Values(string name, params string[] values) => new() { [name] = new JsonArray([.. values.Select(v => (JsonNode)JsonValue.Create(v))]) };

    private static ChatRequest Parse(byte[] payload)
    {
        Assert.True(new ChatRequestParser(Settings).TryParse(payload, out var request, out var error), error?.ToString());
        return request!;
    }

    private static HttpError Reject(byte[] payload, FunctionSettings? settings = null)
    {
        Assert.False(new ChatRequestParser(settings ?? Settings).TryParse(payload, out var request, out var error), request?.ToString());
        return error!;
    }

    [Fact]
    public void Post_with_a_json_body_and_the_content_type_as_the_client_wrote_it()
    {
        var request = Parse(RestEvent("POST", "{\"prompt\":\"Hello\",\"maxTokens\":7}", headers: Json("Content-Type", "application/json")));

        Assert.Equal("Hello", request.Messages[^1].Text);
        Assert.Equal(ChatRole.User, request.Messages[^1].Role);
        Assert.Equal(7, request.MaxTokens);
    }

    [Fact]
    public void Multi_value_headers_are_read_when_headers_is_null()
    {
        var request = Parse(RestEvent("POST", "Just text", headers: null, multiValueHeaders: Values("content-type", "text/plain; charset=utf-8")));

        Assert.Equal("Just text", request.Messages[^1].Text);
    }

    [Fact]
    public void Multi_value_headers_win_over_the_single_value_map()
    {
        // API Gateway puts one value of a repeated header in "headers"; all of them are in "multiValueHeaders".
        var payload = RestEvent("POST", "plain words",
            headers: Json("Content-Type", "application/json"),
            multiValueHeaders: Values("Content-Type", "text/plain"));

        Assert.Equal("plain words", Parse(payload).Messages[^1].Text);
    }

    [Fact]
    public void Get_reads_the_prompt_from_the_query_parameters()
    {
        Assert.Equal("a b&c", Parse(RestEvent("GET", query: Json("prompt", "a b&c"))).Messages[^1].Text);
        // A repeated parameter: the first value, as with a Function URL's raw query string.
        Assert.Equal("first", Parse(RestEvent("GET", query: Json("prompt", "second"), multiValueQuery: Values("prompt", "first", "second"))).Messages[^1].Text);
    }

    [Fact]
    public void Get_without_a_query_is_rejected()
    {
        var error = Reject(RestEvent("GET"));

        Assert.Equal((400, "InvalidRequest"), (error.StatusCode, error.Type));
        Assert.Contains("?prompt=", error.Message);
    }

    [Fact]
    public void A_base64_body_is_decoded_and_its_decoded_size_is_the_one_limited()
    {
        var body = Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"prompt\":\"b64\"}"));
        Assert.Equal("b64", Parse(RestEvent("POST", body, headers: Json("content-type", "application/json"), base64: true)).Messages[^1].Text);

        var tooLarge = Convert.ToBase64String(new byte[65]);
        Assert.Equal(413, Reject(RestEvent("POST", tooLarge, headers: Json("content-type", "application/json"), base64: true)).StatusCode);
        Assert.Equal(400, Reject(RestEvent("POST", "not base64!", headers: Json("content-type", "application/json"), base64: true)).StatusCode);
    }

    [Theory]
    [InlineData("DELETE")]
    [InlineData("OPTIONS")]
    [InlineData("PUT")]
    public void Other_methods_are_405(string method)
    {
        var error = Reject(RestEvent(method, "{\"prompt\":\"x\"}"));

        Assert.Equal((405, "MethodNotAllowed"), (error.StatusCode, error.Type));
        Assert.Contains(new KeyValuePair<string, string>("Allow", "GET, POST"), error.Headers);
    }

    [Fact]
    public void An_event_with_neither_method_is_not_an_http_request()
    {
        var error = Reject(Encoding.UTF8.GetBytes("{\"path\":\"/\",\"body\":\"{}\"}"));

        Assert.Equal(400, error.StatusCode);
        Assert.Contains("not an HTTP request", error.Message);
    }

    [Fact]
    public async Task The_answer_streams_as_for_a_Function_URL()
    {
        var h = new Harness(FakeChatClient.Answer("Hel", "lo"));

        await h.RunAsync(RestEvent("POST", "{\"prompt\":\"hi\"}", headers: Json("Content-Type", "application/json")));

        Assert.Equal(200, h.Response.Status);
        Assert.Equal("text/event-stream", h.Response.Header("Content-Type"));
        Assert.Equal(["data: {\"text\":\"Hel\"}\n\n", "data: {\"text\":\"lo\"}\n\n"], h.Response.TextChunks[..2]);
        Assert.Equal("hi", Assert.Single(h.Model.Calls).Messages[^1].Text);
    }

    [Fact]
    public async Task With_a_cors_origin_every_response_names_it()
    {
        var settings = new FunctionSettings("m", CorsAllowOrigin: "https://chat.example.org");
        var ok = new Harness(FakeChatClient.Answer("hi"), settings);
        var rejected = new Harness(FakeChatClient.Answer("never"), settings);

        await ok.RunAsync(RestEvent("POST", "{\"prompt\":\"hi\"}", headers: Json("content-type", "application/json")));
        await rejected.RunAsync(RestEvent("POST", "", headers: Json("content-type", "application/json")));

        Assert.Equal(200, ok.Response.Status);
        Assert.Equal("https://chat.example.org", ok.Response.Header("Access-Control-Allow-Origin"));
        Assert.Equal(400, rejected.Response.Status);
        Assert.Equal("https://chat.example.org", rejected.Response.Header("Access-Control-Allow-Origin"));
        Assert.Empty(rejected.Model.Calls);
    }

    [Fact]
    public async Task Without_a_cors_origin_no_response_names_one()
    {
        var h = new Harness(FakeChatClient.Answer("hi"));

        await h.RunAsync(RestEvent("POST", "{\"prompt\":\"hi\"}", headers: Json("content-type", "application/json")));

        Assert.Null(h.Response.Header("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task With_a_cors_origin_a_preflight_gets_a_204_without_a_body_or_a_model_call()
    {
        var h = new Harness(FakeChatClient.Answer("never"), new FunctionSettings("m", CorsAllowOrigin: "*"));

        await h.RunAsync(RestEvent("OPTIONS"));

        Assert.Equal(204, h.Response.Status);
        Assert.Empty(h.Response.Chunks);
        Assert.Null(h.Response.Header("Content-Type"));
        Assert.Equal("*", h.Response.Header("Access-Control-Allow-Origin"));
        Assert.Equal("GET, POST, OPTIONS", h.Response.Header("Access-Control-Allow-Methods"));
        Assert.Contains("x-amz-content-sha256", h.Response.Header("Access-Control-Allow-Headers"));
        Assert.Contains("x-api-key", h.Response.Header("Access-Control-Allow-Headers"));
        Assert.Empty(h.Model.Calls);
        var log = h.LogJson;
        Assert.Equal(204, (int)log["status"]!);
        Assert.Null(log["errorType"]);
    }
}
