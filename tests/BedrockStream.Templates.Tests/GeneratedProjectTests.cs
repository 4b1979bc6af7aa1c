using BedrockStream.Templates.Tests.Infrastructure;

namespace BedrockStream.Templates.Tests;

/// <summary>
/// Generated projects, built and run: for a matrix in which every value of the build-shaping options
/// appears, instantiate, build, run the generated tests, publish the function exactly as its
/// Dockerfile/Makefile does, and smoke-run the published binary through the project's local host.
/// </summary>
[Collection(BuildCollection.Name)]
public class GeneratedProjectTests
{
    /// <param name="ToolsAdded">Tools added with <c>dotnet new bedrock-tool</c> before the build.</param>
    public sealed record Variant(string Name, string Framework, bool RunTests, bool RunPublished, string[] Options, string[]? ToolsAdded = null)
    {
        public bool NativeAot => Array.IndexOf(Options, "--aot") is var i && (i < 0 || Options[i + 1] != "false");

        public override string ToString() => Name;
    }

    public static TheoryData<Variant> Variants => new()
    {
        // image + Native AOT + SSE + net10.0: the default.
        new Variant("AotImageSse", "net10.0", RunTests: true, RunPublished: true, []),
        // zip + ReadyToRun + text + net8.0, with the example tool and reasoning: the tool and reasoning tests run too.
        new Variant("R2rZipText8", "net8.0", RunTests: true, RunPublished: true,
            ["--package-type", "zip", "--aot", "false", "--format", "text", "-f", "net8.0",
             "--tools", "true", "--reasoning", "low", "--model", "us.anthropic.claude-haiku-4-5-20251001-v1:0"]),
        // zip + Native AOT + SSE + net8.0, without tests, CI or prompt caching, with a tool from the item template:
        // its code publishes without AOT warnings.
        new Variant("AotZipSse8", "net8.0", RunTests: false, RunPublished: true,
            ["--package-type", "zip", "-f", "net8.0", "--tests", "false", "--ci", "none", "--prompt-cache", "false"], ToolsAdded: ["GetWeather"]),
        // image + Native AOT + OpenAI's Chat Completions, behind a REST API with an API key: its own tests run too.
        new Variant("AotImageOpenAi", "net10.0", RunTests: true, RunPublished: true, ["--format", "openai", "--front", "rest-api", "--auth", "API_KEY"]),
        // arm64 ReadyToRun: published here, run only on arm64 (PRODUCT §8: no cross linker for arm64 AOT).
        new Variant("Arm64R2r", "net10.0", RunTests: false, RunPublished: false,
            ["--architecture", "arm64", "--aot", "false", "--tests", "false"]),
        // every other option at a non-default value: builds.
        new Variant("AllOptions", "net10.0", RunTests: false, RunPublished: false,
            ["--auth", "NONE", "--cors-origin", "*", "--model-id", "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-6",
             "--memory", "256", "--timeout", "60", "--max-tokens", "4000", "--region", "eu-central-1", "--format", "text", "--tests", "false", "--ci", "none",
             "--reasoning", "high", "--tools", "true", "--prompt-cache", "false"]),
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task Variant_builds_tests_publishes_and_streams(Variant variant)
    {
        var pack = await TemplatePackage.Shared;
        var project = new GeneratedProject(await pack.CreateAsync(variant.Name, variant.Options), variant.Name);
        var env = Environment(variant.Framework);
        if (variant.ToolsAdded is { Length: > 0 } tools)
        {
            var functionFolder = project.PathOf($"src/{variant.Name}");
            (await Dotnet.RunAsync(["restore"], functionFolder, TimeSpan.FromMinutes(4), env)).EnsureSuccess();   // the item template reads the project
            foreach (var tool in tools)
                (await pack.NewToolAsync(functionFolder, "-n", tool)).EnsureSuccess();
        }

        (await Dotnet.RunAsync(["build", variant.Name + ".slnx"], project.Directory, TimeSpan.FromMinutes(6), env)).EnsureSuccess();

        if (variant.RunTests)
        {
            var test = (await Dotnet.RunAsync(["test", variant.Name + ".slnx", "--no-build"], project.Directory, TimeSpan.FromMinutes(6), env)).EnsureSuccess();
            Assert.Matches(@"Passed!\s+-\s+Failed:\s+0, Passed:\s+[1-9]", test.StdOut);
        }

        // The publish command of the Dockerfile (image) or Makefile (zip), verbatim, with our own output folder.
        var recipe = project.Exists("Makefile") ? "Makefile" : "Dockerfile";
        var publishDir = Path.Combine(project.Directory, "publish");
        var arguments = project.PublishArguments(recipe).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var publish = (await Dotnet.RunAsync(["publish", .. arguments, "-o", publishDir], project.Directory, TimeSpan.FromMinutes(8), env)).EnsureSuccess();
        Assert.DoesNotMatch(@"warning (IL|NETSDK)\d+", publish.Output);
        var bootstrap = Path.Combine(publishDir, "bootstrap");
        Assert.True(File.Exists(bootstrap), "the publish output has no bootstrap executable");
        Assert.True(OperatingSystem.IsWindows() || (File.GetUnixFileMode(bootstrap) & UnixFileMode.UserExecute) != 0, "bootstrap is not executable");
        Assert.Equal(variant.Options.Contains("arm64") ? ElfMachine.Aarch64 : ElfMachine.X86_64, ElfMachine.Of(bootstrap));

        if (variant.NativeAot)
        {
            // PRODUCT §7: the Native AOT zip stays under 15 MB (symbols are not shipped).
            Assert.False(File.Exists(Path.Combine(publishDir, "bootstrap.dbg")), "debug symbols are in the publish output");
            var zip = Path.Combine(project.Directory, "function.zip");
            System.IO.Compression.ZipFile.CreateFromDirectory(publishDir, zip);
            Assert.InRange(new FileInfo(zip).Length, 1, 15L * 1024 * 1024);
        }

        if (variant.RunPublished)
            await SmokeRunAsync(project, variant, bootstrap, env);
    }

    private static async Task SmokeRunAsync(GeneratedProject project, Variant variant, string bootstrap, IReadOnlyDictionary<string, string?> env)
    {
        const int tokenRate = 25;
        var sse = !variant.Options.Contains("text");
        var openai = variant.Options.Contains("openai");
        await using var host = await LocalHostProcess.StartAsync(project, variant.Framework,
            ["--token-rate", tokenRate.ToString(), "--function-command", bootstrap, .. openai ? ["--api-key", "smoke-key"] : Array.Empty<string>()], env);

        const string prompt = "Tell me a story about a lighthouse keeper and a cat";
        var response = openai
            ? await StreamingProbe.PostAsync(new Uri(host.FunctionUrl, "v1/chat/completions"), prompt, TimeSpan.FromSeconds(60), json: new
            {
                model = "gpt-4o", stream = true, messages = new[] { new { role = "user", content = prompt } },
            }, requestHeaders: [new("x-api-key", "smoke-key")])
            : await StreamingProbe.PostAsync(host.FunctionUrl, prompt, TimeSpan.FromSeconds(60));

        Assert.True(response.Status == 200, $"status {response.Status}: {response.Body}\n{host.Output}");
        Assert.StartsWith(sse ? "text/event-stream" : "text/plain", response.ContentType);
        if (openai)
        {
            Assert.StartsWith("data: {\"id\":\"chatcmpl-", response.Body);
            Assert.EndsWith("data: [DONE]\n\n", response.Body);
        }
        else if (sse)
        {
            Assert.StartsWith("data: {\"text\":", response.Body);
            Assert.Contains("event: done", response.Body);
        }
        Assert.False(response.Body.Contains('\0'), "NUL bytes of the prelude leaked into the body");
        // Incremental arrival: the answer comes in many reads spread over the model's pacing,
        // not in one piece at the end.
        Assert.True(response.Reads.Count >= 8, $"only {response.Reads.Count} reads: {response.Body}");
        var paced = TimeSpan.FromSeconds((response.Reads.Count - 2) / (double)tokenRate);
        Assert.True(response.Spread >= paced * 0.5, $"reads spread over {response.Spread}, expected about {paced}");
    }

    private static Dictionary<string, string?> Environment(string framework) => framework == "net8.0"
        // Only the .NET 10 runtime may be installed; the net8.0 projects' test and host processes roll forward to it.
        ? new() { ["DOTNET_ROLL_FORWARD"] = "Major" }
        : new();
}

[CollectionDefinition(Name)]
public sealed class BuildCollection
{
    public const string Name = "builds";
}

/// <summary>The machine an ELF executable is built for (e_machine).</summary>
public static class ElfMachine
{
    public const int X86_64 = 62;
    public const int Aarch64 = 183;

    public static int Of(string path)
    {
        var header = new byte[20];
        using (var file = File.OpenRead(path))
            file.ReadExactly(header);
        Assert.True(header[0] == 0x7f && header[1] == 'E' && header[2] == 'L' && header[3] == 'F', path + " is not an ELF executable");
        return BitConverter.ToUInt16(header, 18);
    }
}
