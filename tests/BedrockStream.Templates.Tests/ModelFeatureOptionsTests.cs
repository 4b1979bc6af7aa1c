using System.Text.Json.Nodes;
using BedrockStream.Templates.Tests.Infrastructure;

namespace BedrockStream.Templates.Tests;

/// <summary>What <c>--reasoning</c>, <c>--tools</c> and <c>--prompt-cache</c> write into a generated project.</summary>
public class ModelFeatureOptionsTests
{
    private static JsonObject Variables(GeneratedProject project) => project.FunctionProperties()["Environment"]!["Variables"]!.AsObject();

    [Fact]
    public async Task By_default_reasoning_is_off_prompt_caching_on_and_no_tool_ships()
    {
        var pack = await TemplatePackage.Shared;
        var project = new GeneratedProject(await pack.CreateAsync("Plain"), "Plain");

        var variables = Variables(project);
        Assert.Equal(("off", "true"), ((string?)variables["REASONING_EFFORT"], (string?)variables["PROMPT_CACHE"]));
        Assert.False(variables.ContainsKey("MAX_TOOL_ROUNDS"));
        // The registry and the loop are there, so that `dotnet new bedrock-tool` needs no other edit; the example is not.
        Assert.True(project.Exists("src/Plain/Tools/FunctionTools.cs"));
        Assert.True(project.Exists("src/Plain/ToolLoop.cs"));
        Assert.False(project.Exists("src/Plain/Tools/CurrentTime.cs"));
        Assert.False(project.Exists("tests/Plain.Tests/EndToEnd/ToolTests.cs"));
        Assert.False(project.Exists("tests/Plain.Tests/Tools/CurrentTimeTests.cs"));
        var readme = project.Read("README.md");
        Assert.Contains("| reasoning | `off` |", readme);
        Assert.Contains("| prompt caching | on,", readme);
        Assert.DoesNotContain("This project ships `Tools/CurrentTime.cs`", readme);
    }

    [Fact]
    public async Task Reasoning_tools_and_no_prompt_cache_set_the_environment_the_files_and_the_readme()
    {
        var pack = await TemplatePackage.Shared;
        var project = new GeneratedProject(await pack.CreateAsync("Agent",
            "--model", "us.anthropic.claude-sonnet-4-6", "--reasoning", "medium", "--tools", "true", "--prompt-cache", "false"), "Agent");

        var variables = Variables(project);
        Assert.Equal("medium", (string?)variables["REASONING_EFFORT"]);
        Assert.Equal("false", (string?)variables["PROMPT_CACHE"]);
        Assert.Equal(("5", "10"), ((string?)variables["MAX_TOOL_ROUNDS"], (string?)variables["TOOL_TIMEOUT_SECONDS"]));
        Assert.True(project.Exists("src/Agent/Tools/CurrentTime.cs"));
        Assert.Contains("namespace Agent.Tools;", project.Read("src/Agent/Tools/CurrentTime.cs"));
        Assert.True(project.Exists("tests/Agent.Tests/EndToEnd/ToolTests.cs"));
        Assert.True(project.Exists("tests/Agent.Tests/Tools/CurrentTimeTests.cs"));
        var readme = project.Read("README.md");
        Assert.Contains("| reasoning | `medium` |", readme);
        Assert.Contains("| prompt caching | off |", readme);
        Assert.Contains("This project ships `Tools/CurrentTime.cs`", readme);
        // The configuration table keeps documenting the code's defaults, not this project's values.
        Assert.Contains("| `REASONING_EFFORT` | `off` |", readme);
        Assert.Contains("| `PROMPT_CACHE` | `true` |", readme);
    }
}
