using BedrockStream.Function.Runtime;

namespace BedrockStream.Function.Tests.Bedrock;

public class BedrockEndpointTests
{
    private static BedrockEndpoint Resolve(params (string Name, string Value)[] env)
    {
        var vars = env.ToDictionary(e => e.Name, e => e.Value);
        return BedrockEndpoint.Resolve(name => vars.GetValueOrDefault(name));
    }

    [Fact]
    public void Defaults_to_us_east_1_public_endpoint()
    {
        BedrockEndpoint e = Resolve();
        Assert.Equal("us-east-1", e.Region);
        Assert.Equal(new Uri("https://bedrock-runtime.us-east-1.amazonaws.com"), e.BaseUri);
    }

    [Fact]
    public void Aws_region_wins_over_default_region()
    {
        Assert.Equal("eu-west-1", Resolve(("AWS_REGION", "eu-west-1"), ("AWS_DEFAULT_REGION", "us-west-2")).Region);
        Assert.Equal("us-west-2", Resolve(("AWS_DEFAULT_REGION", "us-west-2")).Region);
        Assert.Equal(new Uri("https://bedrock-runtime.eu-west-1.amazonaws.com"), Resolve(("AWS_REGION", "eu-west-1")).BaseUri);
    }

    [Fact]
    public void Service_specific_endpoint_override_wins_over_the_generic_one()
    {
        BedrockEndpoint e = Resolve(("AWS_REGION", "eu-central-1"),
            ("AWS_ENDPOINT_URL", "http://localhost:4566"), ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://127.0.0.1:9000"));
        Assert.Equal(new Uri("http://127.0.0.1:9000"), e.BaseUri);
        Assert.Equal("eu-central-1", e.Region); // the signing region stays the configured one

        Assert.Equal(new Uri("http://localhost:4566"), Resolve(("AWS_ENDPOINT_URL", "http://localhost:4566")).BaseUri);
    }

    [Fact]
    public void Overrides_are_ignored_when_the_sdk_setting_says_so()
    {
        BedrockEndpoint e = Resolve(("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://127.0.0.1:9000"), ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"));
        Assert.Equal(new Uri("https://bedrock-runtime.us-east-1.amazonaws.com"), e.BaseUri);
    }

    [Fact]
    public void Invalid_override_is_rejected_with_its_value()
    {
        var ex = Assert.Throws<ConfigurationException>(() => Resolve(("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "not a url")));
        Assert.Contains("not a url", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_id_is_escaped_once_in_the_request_url()
    {
        var model = new BedrockChatClient(Models.ModelId, new Uri("https://bedrock-runtime.us-east-1.amazonaws.com"), "us-east-1", credentials: Models.Basic);
        Uri uri = model.ConverseStreamUri(Models.ModelId);
        Assert.Equal("/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream", uri.AbsolutePath);
        Assert.Equal("https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream", uri.AbsoluteUri);

        var prefixed = new BedrockChatClient(Models.ModelId, new Uri("http://127.0.0.1:9000/bedrock/"), "us-east-1", credentials: Models.Basic);
        Assert.Equal("/bedrock/model/a%3Ab%2Fc/converse-stream", prefixed.ConverseStreamUri("a:b/c").AbsolutePath);
    }
}
