using BedrockStream.Function.Local;

namespace BedrockStream.Function.Tests.EndToEnd;

/// <summary>The local host runs the function with the settings of this project's template.yaml.</summary>
public class SamTemplateSettingsTests
{
    [Fact]
    public void Reads_the_projects_own_template()
    {
        var settings = SamTemplateSettings.Find();

        Assert.NotNull(settings);
        Assert.Equal(LocalHost.DefaultModelId, settings.Variables["MODEL_ID"]);
        Assert.Contains(settings.Variables["RESPONSE_FORMAT"], new[] { "sse", "text", "openai" });
        Assert.InRange(settings.Timeout!.Value, 1, 900);
        Assert.InRange(settings.MemorySize!.Value, 128, 10240);
    }

    [Fact]
    public void Reads_timeout_memory_and_only_the_variables_block()
    {
        var settings = SamTemplateSettings.Read(
        [
            "Resources:",
            "  Fn:",
            "    Properties:",
            "      MemorySize: 2048",
            "      Timeout: 120",
            "      Environment:",
            "        Variables:",
            "          MODEL_ID: \"us.amazon.nova-2-lite-v1:0\"",
            "          # a comment",
            "          RESPONSE_FORMAT: text",
            "      FunctionUrlConfig:",
            "        AuthType: AWS_IAM",
        ]);

        Assert.Equal(120, settings.Timeout);
        Assert.Equal(2048, settings.MemorySize);
        Assert.Equal(new Dictionary<string, string> { ["MODEL_ID"] = "us.amazon.nova-2-lite-v1:0", ["RESPONSE_FORMAT"] = "text" }, settings.Variables);
    }
}
