using System.Text;
using Microsoft.Extensions.AI;

namespace BedrockStream.Function.Tests.Handler;

public class ChatRequestParserTests
{
    private static readonly FunctionSettings Settings = new("model-x", MaxTokens: 2000, SystemPrompt: "Default system.");

    private static ChatRequest Parse(byte[] payload, FunctionSettings? settings = null)
    {
        bool ok = new ChatRequestParser(settings ?? Settings).TryParse(payload, out var request, out var error);
        Assert.True(ok, error?.ToString());
        return request!;
    }

    /// <summary>The conversation as (role, text) pairs, the system prompt first.</summary>
    private static (ChatRole, string)[] Turns(ChatRequest request) => [.. request.Messages.Select(m => (m.Role, m.Text))];

    private static HttpError Reject(byte[] payload, FunctionSettings? settings = null)
    {
        bool ok = new ChatRequestParser(settings ?? Settings).TryParse(payload, out var request, out var error);
        Assert.False(ok, request?.ToString());
        return error!;
    }

    [Fact]
    public void Json_prompt_uses_the_configured_defaults()
    {
        var request = Parse(Events.Post("{\"prompt\":\"Hello\"}"));

        Assert.Equal([(ChatRole.System, "Default system."), (ChatRole.User, "Hello")], Turns(request));
        Assert.Equal(2000, request.MaxTokens);
        Assert.Null(request.Temperature);
    }

    [Fact]
    public void Json_fields_override_the_defaults_and_the_prompt_becomes_the_last_user_turn()
    {
        var request = Parse(Events.Post("""{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}],"prompt":"Go on","system":"Pirate.","maxTokens":7,"temperature":0.5,"extra":1}"""));

        Assert.Equal(
            [(ChatRole.System, "Pirate."), (ChatRole.User, "Hi"), (ChatRole.Assistant, "Hello!"), (ChatRole.User, "Go on")],
            Turns(request));
        Assert.Equal(7, request.MaxTokens);
        Assert.Equal(0.5f, request.Temperature);
    }

    [Fact]
    public void Messages_ending_with_a_user_turn_need_no_prompt()
    {
        var request = Parse(Events.Post("""{"messages":[{"role":"user","content":"Only this"}]}"""));

        Assert.Equal([(ChatRole.System, "Default system."), (ChatRole.User, "Only this")], Turns(request));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2000)]
    public void MaxTokens_bounds_are_inclusive(int maxTokens) =>
        Assert.Equal(maxTokens, Parse(Events.Post($"{{\"prompt\":\"x\",\"maxTokens\":{maxTokens}}}")).MaxTokens);

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    public void Temperature_bounds_are_inclusive(string temperature) =>
        Assert.Equal(float.Parse(temperature), Parse(Events.Post($"{{\"prompt\":\"x\",\"temperature\":{temperature}}}")).Temperature);

    [Theory]
    [InlineData("text/plain")]
    [InlineData("text/plain; charset=utf-8")]
    [InlineData("TEXT/PLAIN")]
    public void Text_plain_body_is_the_prompt(string contentType)
    {
        var request = Parse(Events.Post("{not json} just text ✓", contentType));

        Assert.Equal((ChatRole.User, "{not json} just text ✓"), Turns(request)[^1]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/x-www-form-urlencoded")]   // curl -d without -H
    public void Json_is_accepted_without_a_json_content_type_when_the_body_is_an_object(string? contentType) =>
        Assert.Equal("hi", Parse(Events.Post(" {\"prompt\":\"hi\"}", contentType)).Messages[^1].Text);

    [Fact]
    public void Content_type_header_name_is_case_insensitive()
    {
        var payload = Encoding.UTF8.GetString(Events.Post("plain words", contentType: null))
            .Replace("\"headers\":{", "\"headers\":{\"Content-Type\":\"text/plain\",");

        Assert.Equal("plain words", Parse(Encoding.UTF8.GetBytes(payload)).Messages[^1].Text);
    }

    [Fact]
    public void Base64_body_is_decoded()
    {
        var body = Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"prompt\":\"héllo\"}"));

        Assert.Equal("héllo", Parse(Events.Post(body, base64: true)).Messages[^1].Text);
    }

    [Fact]
    public void Get_prompt_is_url_decoded()
    {
        var request = Parse(Events.Get("a=1&prompt=Hello%2C%20w%C3%B6rld+now%3F&b=2"));

        Assert.Equal((ChatRole.User, "Hello, wörld now?"), Turns(request)[^1]);
        Assert.Equal(2000, request.MaxTokens);
    }

    [Fact]
    public void Get_falls_back_to_queryStringParameters_without_a_raw_query()
    {
        var payload = Events.Build("GET", null, null, false, rawQuery: null, new() { ["prompt"] = "from parameters" });
        var text = Encoding.UTF8.GetString(payload).Replace("\"rawQueryString\":\"\",", "");

        Assert.Equal("from parameters", Parse(Encoding.UTF8.GetBytes(text)).Messages[^1].Text);
    }

    [Fact]
    public void Request_size_limit_is_the_decoded_size_and_inclusive()
    {
        var settings = Settings with { MaxRequestBytes = 100 };
        ChatRequest Parse(byte[] payload) => ChatRequestParserTests.Parse(payload, settings);
        HttpError Reject(byte[] payload) => ChatRequestParserTests.Reject(payload, settings);

        string Body(int size) => "{\"prompt\":\"" + new string('a', size - 13) + "\"}";
        Assert.Equal(100, Encoding.UTF8.GetByteCount(Body(100)));

        Parse(Events.Post(Body(100)));
        Assert.Equal(413, Reject(Events.Post(Body(101))).StatusCode);

        // base64 text is 4/3 longer than the body it carries: only the decoded size counts
        string Encoded(int size) => Convert.ToBase64String(Encoding.UTF8.GetBytes(Body(size)));
        Assert.True(Encoded(100).Length > 100);
        Parse(Events.Post(Encoded(100), base64: true));
        Assert.Equal(413, Reject(Events.Post(Encoded(101), base64: true)).StatusCode);

        // multi-byte characters count as their UTF-8 size
        Assert.Equal(413, Reject(Events.Post(new string('é', 51), "text/plain")).StatusCode);
    }

    [Fact]
    public void Method_not_allowed_carries_the_Allow_header()
    {
        var error = Reject(Events.Method("put"));

        Assert.Equal((405, "MethodNotAllowed"), (error.StatusCode, error.Type));
        Assert.Equal([new KeyValuePair<string, string>("Allow", "GET, POST")], error.Headers);
    }

    [Fact]
    public void A_json_error_names_the_offending_field()
    {
        var error = Reject(Events.Post("{\"prompt\":\"x\",\"maxTokens\":\"ten\"}"));

        Assert.Contains("$.maxTokens", error.Message);
    }

    [Fact]
    public void Other_content_types_are_unsupported()
    {
        var error = Reject(Events.Post("<xml/>", "application/xml"));

        Assert.Equal((415, "UnsupportedMediaType"), (error.StatusCode, error.Type));
    }
}
