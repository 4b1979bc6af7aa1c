using System.Text;
using System.Text.Json;

namespace BedrockStream.Function.Tests.Handler;

/// <summary>
/// The hand-written event reader gives what System.Text.Json's deserializer gives for the same event (compared as
/// re-serialized JSON), and rejects what it rejects.
/// </summary>
public class HttpRequestEventReaderTests
{
    public static TheoryData<string> Events() =>
    [
        // A Function URL's payload format 2.0.
        """{"version":"2.0","rawPath":"/chat","rawQueryString":"prompt=hi%20there&x=1","headers":{"content-type":"application/json","x-forwarded-for":"1.2.3.4"},"queryStringParameters":{"prompt":"hi there","x":"1"},"requestContext":{"accountId":"123","http":{"method":"POST","path":"/chat","protocol":"HTTP/1.1","sourceIp":"1.2.3.4"},"requestId":"r-1","time":"x"},"body":"eyJwcm9tcHQiOiJoaSJ9","isBase64Encoded":true}""",
        // An API Gateway REST API's proxy format 1.0, with multi-value maps and null values.
        """{"resource":"/chat","path":"/chat","httpMethod":"GET","headers":{"Accept":"text/event-stream","X-Null":null},"multiValueHeaders":{"Accept":["text/event-stream","text/plain"],"X-Empty":[],"X-Null":null,"X-Holes":["a",null]},"queryStringParameters":null,"multiValueQueryStringParameters":{"prompt":["one","two"]},"requestContext":{"requestId":"r-2","http":null,"identity":{"sourceIp":"5.6.7.8"}},"body":null,"isBase64Encoded":false}""",
        // Unknown fields of every shape, escaped names, a repeated field (the last one counts), an empty object.
        """{"extra":{"a":[1,{"b":null}],"c":"d"},"n":1.5,"t":true,"ra\u0077Path":"/escaped","body":"first","body":"second","headers":{}}""",
        "{}",
        "null",
        "  {\"body\":\"x\"}  ",
    ];

    [Theory]
    [MemberData(nameof(Events))]
    public void It_reads_an_event_as_the_deserializer_does(string json)
    {
        var expected = JsonSerializer.Deserialize<HttpRequestEvent>(json);

        var actual = HttpRequestEventReader.Read(Encoding.UTF8.GetBytes(json));

        Assert.Equal(JsonSerializer.Serialize(expected), JsonSerializer.Serialize(actual));
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("{\"body\":1}")]
    [InlineData("{\"body\":\"x\"} trailing")]
    [InlineData("{\"isBase64Encoded\":\"true\"}")]
    [InlineData("{\"isBase64Encoded\":null}")]
    [InlineData("{\"headers\":[]}")]
    [InlineData("{\"headers\":{\"a\":1}}")]
    [InlineData("{\"multiValueHeaders\":{\"a\":\"b\"}}")]
    [InlineData("{\"multiValueHeaders\":{\"a\":[1]}}")]
    [InlineData("{\"requestContext\":\"x\"}")]
    [InlineData("{\"requestContext\":{\"http\":{\"method\":2}}}")]
    [InlineData("{\"body\":\"x\"")]
    [InlineData("{/* comment */}")]
    public void It_rejects_what_the_deserializer_rejects(string json)
    {
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<HttpRequestEvent>(json));

        Assert.ThrowsAny<JsonException>(() => HttpRequestEventReader.Read(Encoding.UTF8.GetBytes(json)));
    }
}
