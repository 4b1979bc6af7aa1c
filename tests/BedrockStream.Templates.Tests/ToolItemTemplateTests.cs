using BedrockStream.Templates.Tests.Infrastructure;

namespace BedrockStream.Templates.Tests;

/// <summary>
/// <c>dotnet new bedrock-tool</c>, as a new user runs it: in a generated function project, or with <c>--project</c>
/// from the project's root; the tool builds and is offered to the model with no other edit; anywhere else it refuses.
/// </summary>
[Collection(BuildCollection.Name)]
public class ToolItemTemplateTests
{
    [Fact]
    public async Task Outside_any_project_it_refuses_and_writes_nothing()
    {
        var pack = await TemplatePackage.Shared;
        var folder = pack.NewFolder("no-project");

        var result = await pack.NewToolAsync(folder, "-n", "GetWeather");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("No project was found", result.Output);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
    }

    [Fact]
    public async Task A_tool_added_to_a_generated_function_builds_and_the_model_can_call_it()
    {
        var pack = await TemplatePackage.Shared;
        var project = new GeneratedProject(await pack.CreateAsync("Agent",
            "--tools", "true", "--reasoning", "medium", "--model", "us.anthropic.claude-sonnet-4-6", "--tests", "false", "--ci", "none"), "Agent");
        var functionFolder = project.PathOf("src/Agent");
        (await Dotnet.RunAsync(["restore", "local/Agent.Local/Agent.Local.csproj"], project.Directory, TimeSpan.FromMinutes(4))).EnsureSuccess();

        // In the function's folder, and from the project's root with --project: both land in the function's Tools/.
        (await pack.NewToolAsync(functionFolder, "-n", "GetWeather", "--description", "The weather now in a city.")).EnsureSuccess();
        (await pack.NewToolAsync(project.Directory, "-n", "FlightStatus", "--project", "src/Agent/Agent.csproj")).EnsureSuccess();

        var tool = project.Read("src/Agent/Tools/GetWeather.cs");
        Assert.Contains("namespace Agent.Tools;", tool);
        Assert.Contains("internal static partial class GetWeather", tool);
        Assert.Contains("Name = \"get_weather\"", tool);
        Assert.Contains("Description = \"The weather now in a city.\"", tool);
        Assert.Contains("[Description(", tool);
        Assert.Contains("Name = \"flight_status\"", project.Read("src/Agent/Tools/FlightStatus.cs"));
        Assert.False(project.Exists("Tools"), "the item template wrote into the project's root instead of the function's folder");

        // Only a function project takes tools: the plumbing project is refused, with the reason.
        var refused = await pack.NewToolAsync(project.PathOf("src/Agent.Runtime"), "-n", "Misplaced");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("BedrockStreamFunction", refused.Output);
        Assert.False(project.Exists("src/Agent.Runtime/Tools"));

        // No other edit: build and ask; the fake model calls the tool, the function runs it and streams both events.
        (await Dotnet.RunAsync(["build", "local/Agent.Local/Agent.Local.csproj", "--no-restore"], project.Directory, TimeSpan.FromMinutes(6))).EnsureSuccess();
        await using var host = await LocalHostProcess.StartAsync(project, "net10.0", ["--token-rate", "0"]);

        var weather = await StreamingProbe.PostAsync(host.FunctionUrl, """#tool:get_weather{"query":"Paris"} What's the weather in Paris?""", TimeSpan.FromSeconds(60));

        Assert.True(weather.Status == 200, $"status {weather.Status}: {weather.Body}\n{host.Output}");
        var events = weather.Events();
        Assert.Contains(events, e => e.Name == "reasoning");
        var call = events.Single(e => e.Name == "tool_call").Data;
        Assert.Equal(("get_weather", "Paris"), (call.GetProperty("name").GetString(), call.GetProperty("arguments").GetProperty("query").GetString()));
        var result = events.Single(e => e.Name == "tool_result").Data;
        Assert.Equal("get_weather is not implemented yet.", result.GetProperty("result").GetProperty("answer").GetString());
        Assert.Equal(1, events[^1].Data.GetProperty("toolCalls").GetInt32());

        // The template's own tool is still there beside the new ones.
        var time = await StreamingProbe.PostAsync(host.FunctionUrl, "What time is it in Asia/Tokyo?", TimeSpan.FromSeconds(60));
        Assert.Equal("current_time", time.Events().Single(e => e.Name == "tool_call").Data.GetProperty("name").GetString());
    }
}
