using BedrockStream.Function.Runtime;

namespace BedrockStream.Function.Tests.Handler;

public class FunctionSettingsTests
{
    private static FunctionSettings Read(params (string Name, string? Value)[] variables)
    {
        var all = new Dictionary<string, string?> { ["MODEL_ID"] = "us.amazon.nova-2-lite-v1:0" };
        foreach (var (name, value) in variables)
            all[name] = value;
        return FunctionSettings.FromDictionary(all);
    }

    [Fact]
    public void Defaults_apply_when_only_MODEL_ID_is_set()
    {
        var settings = Read();

        Assert.Equal("us.amazon.nova-2-lite-v1:0", settings.ModelId);
        Assert.Equal(1024, settings.MaxTokens);
        Assert.Null(settings.SystemPrompt);
        Assert.Equal(ResponseFormat.Sse, settings.Format);
        Assert.Equal(65536, settings.MaxRequestBytes);
        Assert.False(settings.LogContent);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.DeadlineMargin);
        Assert.Equal(settings, new FunctionSettings("us.amazon.nova-2-lite-v1:0"));   // the record's defaults agree
    }

    [Fact]
    public void Every_variable_is_read()
    {
        var settings = Read(
            ("MAX_TOKENS", "65536"), ("SYSTEM_PROMPT", "Be brief."), ("RESPONSE_FORMAT", "TEXT"),
            ("MAX_REQUEST_BYTES", "6291456"), ("LOG_CONTENT", "true"), ("DEADLINE_MARGIN_MS", "0"));

        Assert.Equal(new FunctionSettings("us.amazon.nova-2-lite-v1:0", 65536, "Be brief.", ResponseFormat.Text, 6291456, true, 0), settings);
    }

    [Fact]
    public void Empty_optional_variables_mean_the_default()
    {
        var settings = Read(("MAX_TOKENS", ""), ("SYSTEM_PROMPT", " "), ("RESPONSE_FORMAT", ""), ("LOG_CONTENT", ""));

        Assert.Equal(new FunctionSettings("us.amazon.nova-2-lite-v1:0"), settings);
    }

    [Theory]
    [InlineData("MODEL_ID", null, "MODEL_ID is required")]
    [InlineData("MODEL_ID", "", "MODEL_ID is required")]
    [InlineData("MODEL_ID", "   ", "MODEL_ID is required")]
    [InlineData("MAX_TOKENS", "0", "MAX_TOKENS must be an integer from 1 to 65536 (got '0')")]
    [InlineData("MAX_TOKENS", "65537", "MAX_TOKENS must be an integer from 1 to 65536")]
    [InlineData("MAX_TOKENS", "lots", "MAX_TOKENS must be an integer from 1 to 65536 (got 'lots')")]
    [InlineData("MAX_TOKENS", "1.5", "MAX_TOKENS must be an integer from 1 to 65536")]
    [InlineData("RESPONSE_FORMAT", "json", "RESPONSE_FORMAT must be 'sse', 'text' or 'openai' (got 'json')")]
    [InlineData("MAX_REQUEST_BYTES", "0", "MAX_REQUEST_BYTES must be an integer from 1 to 6291456")]
    [InlineData("MAX_REQUEST_BYTES", "6291457", "MAX_REQUEST_BYTES must be an integer from 1 to 6291456")]
    [InlineData("LOG_CONTENT", "yes", "LOG_CONTENT must be 'true' or 'false' (got 'yes')")]
    [InlineData("DEADLINE_MARGIN_MS", "-1", "DEADLINE_MARGIN_MS must be an integer from 0 to 60000")]
    [InlineData("DEADLINE_MARGIN_MS", "60001", "DEADLINE_MARGIN_MS must be an integer from 0 to 60000")]
    public void Invalid_values_name_the_variable_and_the_allowed_range(string name, string? value, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => Read((name, value)));

        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Front_variables_are_read_and_off_by_default()
    {
        var defaults = Read();
        Assert.Equal(TimeSpan.Zero, defaults.Heartbeat);
        Assert.Equal(TimeSpan.Zero, defaults.StartStreamAfter);
        Assert.Null(defaults.CorsAllowOrigin);

        var settings = Read(("HEARTBEAT_SECONDS", "15"), ("START_STREAM_AFTER_SECONDS", "20"), ("CORS_ALLOW_ORIGIN", "https://chat.example.org/"));

        Assert.Equal(TimeSpan.FromSeconds(15), settings.Heartbeat);
        Assert.Equal(TimeSpan.FromSeconds(20), settings.StartStreamAfter);
        Assert.Equal("https://chat.example.org", settings.CorsAllowOrigin);
        Assert.Equal("*", Read(("CORS_ALLOW_ORIGIN", "*")).CorsAllowOrigin);
        Assert.Equal("http://localhost:3000", Read(("CORS_ALLOW_ORIGIN", "http://localhost:3000")).CorsAllowOrigin);
    }

    [Theory]
    [InlineData("HEARTBEAT_SECONDS", "-1", "HEARTBEAT_SECONDS must be an integer from 0 to 900")]
    [InlineData("HEARTBEAT_SECONDS", "901", "HEARTBEAT_SECONDS must be an integer from 0 to 900")]
    [InlineData("START_STREAM_AFTER_SECONDS", "soon", "START_STREAM_AFTER_SECONDS must be an integer from 0 to 900")]
    [InlineData("CORS_ALLOW_ORIGIN", "https://chat.example.org/path", "CORS_ALLOW_ORIGIN must be an origin")]
    [InlineData("CORS_ALLOW_ORIGIN", "javascript:alert(1)", "CORS_ALLOW_ORIGIN must be an origin")]
    [InlineData("CORS_ALLOW_ORIGIN", "https://a.example\r\nSet-Cookie: x=1", "CORS_ALLOW_ORIGIN must be an origin")]
    public void Invalid_front_values_are_refused(string name, string value, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => Read((name, value.Replace("\\r\\n", "\r\n", StringComparison.Ordinal))));

        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("HEARTBEAT_SECONDS")]
    [InlineData("START_STREAM_AFTER_SECONDS")]
    public void Plain_text_refuses_heartbeats(string name)
    {
        var e = Assert.Throws<ConfigurationException>(() => Read(("RESPONSE_FORMAT", "text"), (name, "15")));

        Assert.Contains("plain text cannot carry a heartbeat", e.Message);
        Assert.Equal(ResponseFormat.Text, Read(("RESPONSE_FORMAT", "text"), (name, "0")).Format);
    }
}
