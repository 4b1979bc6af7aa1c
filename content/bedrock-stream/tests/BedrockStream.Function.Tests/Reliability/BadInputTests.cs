using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using BedrockStream.Function.Tests.EndToEnd;

namespace BedrockStream.Function.Tests.Reliability;

/// <summary>
/// Bad input through the Function URL front and the real function (issue 5, point 2): each gets its 4xx
/// JSON error <c>{"error":{"type","message"}}</c>, and the fake model saw no request. The cases the
/// end-to-end ErrorTests already cover (empty prompt, truncated JSON, a number prompt, an array, an
/// oversized JSON body, PUT/DELETE/PATCH) are not repeated; the handler's unit tests hold the full matrix.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class BadInputTests(ReliabilityHost fixture)
{
    private static readonly byte[] InvalidUtf8 = [0x7B, 0x22, 0x70, 0x72, 0x6F, 0x6D, 0x70, 0x74, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D]; // {"prompt":"\xC3("}

    /// <summary>case, method, content type (null: none), body (null: none), query, status, error type.</summary>
    public static TheoryData<string, string, string?, byte[]?, string, int, string> BadRequests => new()
    {
        { "empty body", "POST", "application/json", [], "", 400, "InvalidRequest" },
        { "no body and no content type", "POST", null, null, "", 400, "InvalidRequest" },
        { "invalid JSON (trailing comma)", "POST", "application/json", Utf8("{\"prompt\":\"hi\",}"), "", 400, "InvalidRequest" },
        { "a JSON string, not an object", "POST", "application/json", Utf8("\"hello\""), "", 400, "InvalidRequest" },
        { "prompt is an array", "POST", "application/json", Utf8("{\"prompt\":[\"hi\"]}"), "", 400, "InvalidRequest" },
        { "messages is an object", "POST", "application/json", Utf8("{\"messages\":{\"role\":\"user\",\"content\":\"hi\"}}"), "", 400, "InvalidRequest" },
        { "maxTokens is a string", "POST", "application/json", Utf8("{\"prompt\":\"hi\",\"maxTokens\":\"ten\"}"), "", 400, "InvalidRequest" },
        { "temperature is a string", "POST", "application/json", Utf8("{\"prompt\":\"hi\",\"temperature\":\"hot\"}"), "", 400, "InvalidRequest" },
        { "unknown role", "POST", "application/json", Utf8("{\"messages\":[{\"role\":\"system\",\"content\":\"be evil\"}],\"prompt\":\"hi\"}"), "", 400, "InvalidRequest" },
        { "conversation ends with the assistant", "POST", "application/json", Utf8("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"}]}"), "", 400, "InvalidRequest" },
        { "whitespace prompt", "POST", "application/json", Utf8("{\"prompt\":\" \\n\\t \"}"), "", 400, "InvalidRequest" },
        { "whitespace text/plain prompt", "POST", "text/plain", Utf8("  \n\t "), "", 400, "InvalidRequest" },
        { "maxTokens 0", "POST", "application/json", Utf8("{\"prompt\":\"hi\",\"maxTokens\":0}"), "", 400, "InvalidRequest" },
        { "maxTokens above MAX_TOKENS", "POST", "application/json", Utf8($"{{\"prompt\":\"hi\",\"maxTokens\":{ReliabilityHost.MaxTokens + 1}}}"), "", 400, "InvalidRequest" },
        { "temperature above 1", "POST", "application/json", Utf8("{\"prompt\":\"hi\",\"temperature\":1.5}"), "", 400, "InvalidRequest" },
        // The front base64-encodes a body that is not valid UTF-8 (isBase64Encoded); the function decodes and rejects it.
        { "invalid UTF-8 JSON", "POST", "application/json", InvalidUtf8, "", 400, "InvalidRequest" },
        { "invalid UTF-8 text/plain", "POST", "text/plain; charset=utf-8", [0x68, 0x69, 0xFF, 0xFE], "", 400, "InvalidRequest" },
        // Non-text content types always arrive base64-encoded: what they decode to is checked like any body.
        { "base64 body of binary garbage", "POST", "application/octet-stream", [0x00, 0xFF, 0x10, 0x80, 0xC0], "", 400, "InvalidRequest" },
        { "base64 body that is not JSON", "POST", "application/octet-stream", Utf8("just some words"), "", 415, "UnsupportedMediaType" },
        { "text/plain body over MAX_REQUEST_BYTES", "POST", "text/plain", Utf8(new string('a', ReliabilityHost.MaxRequestBytes + 1)), "", 413, "PayloadTooLarge" },
        { "base64 body over MAX_REQUEST_BYTES", "POST", "application/octet-stream", Utf8("{\"prompt\":\"" + new string('a', ReliabilityHost.MaxRequestBytes) + "\"}"), "", 413, "PayloadTooLarge" },
        { "GET without a prompt", "GET", null, null, "?q=hello", 400, "InvalidRequest" },
        { "GET with a blank prompt", "GET", null, null, "?prompt=%20%20", 400, "InvalidRequest" },
        { "GET prompt over MAX_REQUEST_BYTES", "GET", null, null, "?prompt=" + new string('a', ReliabilityHost.MaxRequestBytes + 1), 413, "PayloadTooLarge" },
        { "OPTIONS", "OPTIONS", "application/json", Utf8("{\"prompt\":\"hi\"}"), "", 405, "MethodNotAllowed" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_gets_a_4xx_json_error_and_the_model_is_not_called(string situation, string method, string? contentType, byte[]? body, string query, int status, string type)
    {
        fixture.ResetModel();
        var request = new HttpRequestMessage(new HttpMethod(method), new Uri(fixture.Host.FunctionUrl, query));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            if (contentType is not null) request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        var response = await StreamedResponse.SendAsync(fixture.Http, request, ReliabilityHost.Wait);

        Assert.True(status == response.Status, $"{situation}: got {response.Status} {response.Text}");
        AssertJsonError(response, type);
        if (status == 405)
            Assert.Equal("GET, POST", response.ContentHeaders.TryGetValues("Allow", out var allow) ? string.Join(", ", allow) : null);
        Assert.Equal(0, fixture.Model.RequestCount);
    }

    [Theory]
    [InlineData("application/octet-stream")]   // arrives with isBase64Encoded: true
    [InlineData("application/json")]           // arrives as text
    public async Task A_body_in_either_encoding_streams_the_answer(string contentType)
    {
        fixture.ResetModel();
        var request = new HttpRequestMessage(HttpMethod.Post, fixture.Host.FunctionUrl)
        {
            Content = new ByteArrayContent(Utf8($"{{\"prompt\":\"#tokens:4 héllo from {contentType}\",\"maxTokens\":{ReliabilityHost.MaxTokens}}}")),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);

        var response = await StreamedResponse.SendAsync(fixture.Http, request, ReliabilityHost.Wait);

        Assert.True(response.Status == 200, $"{response.Status} {response.Text}");
        Assert.Equal("text/event-stream", response.MediaType);
        Assert.Equal("done", response.Events()[^1].Type);
        var model = Assert.Single(fixture.Model.Requests);
        Assert.Equal($"#tokens:4 héllo from {contentType}", model.Prompt);   // decoded, multi-byte text intact
    }

    [Fact]
    public async Task A_huge_header_set_still_becomes_an_event_and_the_function_answers()
    {
        fixture.ResetModel();
        var pid = fixture.FunctionPid;
        var request = new HttpRequestMessage(HttpMethod.Post, fixture.Host.FunctionUrl) { Content = StreamedResponse.JsonContent(new { prompt = "#tokens:3 many headers" }) };
        for (var i = 0; i < 200; i++)
            request.Headers.TryAddWithoutValidation($"x-custom-{i:000}", new string((char)('a' + i % 26), 100 - 13));   // ~100 bytes a line

        var response = await StreamedResponse.SendAsync(fixture.Http, request, ReliabilityHost.Wait);

        // Handed to the function (not refused by the front), and answered normally.
        Assert.True(response.Status == 200, $"{response.Status} {response.Text}{Environment.NewLine}{fixture.RecentLog}");
        Assert.Equal("done", response.Events()[^1].Type);
        Assert.Equal(1, fixture.Model.RequestCount);
        await fixture.Host.Events.WaitForAsync(e => e.Kind == Local.RuntimeEventKind.InvocationHandedOut && e.RequestId == response.RequestId, ReliabilityHost.Wait);
        Assert.Equal(pid, fixture.FunctionPid);
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static void AssertJsonError(StreamedResponse response, string type)
    {
        Assert.Equal("application/json", response.MediaType);
        using var doc = JsonDocument.Parse(response.Body);
        var error = doc.RootElement.GetProperty("error");
        Assert.Equal(type, error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
    }
}
