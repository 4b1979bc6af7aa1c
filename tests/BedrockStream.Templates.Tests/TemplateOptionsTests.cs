using BedrockStream.Templates.Tests.Infrastructure;

namespace BedrockStream.Templates.Tests;

/// <summary>The options of <c>dotnet new bedrock-stream</c>: help, defaults, and values the CLI must refuse.</summary>
public class TemplateOptionsTests
{
    public static TheoryData<string, string> Options => new()
    {
        { "-f, --framework", "target framework" },
        { "-m, --model", "Bedrock model" },
        { "--model-id", "Overrides --model" },
        { "--region", "AWS Region" },
        { "--memory", "128-10240" },
        { "--timeout", "1-900" },
        { "--auth", "AWS_IAM" },
        { "--front", "front door" },
        { "--package-type", "container image" },
        { "--architecture", "processor architecture" },
        { "--aot", "Native AOT" },
        { "--format", "OpenAI-compatible Chat Completions" },
        { "--sdk", "AWSSDK.Core only" },
        { "--cors-origin", "CORS origin" },
        { "--max-tokens", "1-65536" },
        { "--reasoning", "reasoning effort" },
        { "--tools", "example tool" },
        { "--prompt-cache", "prompt caching" },
        { "--tests", "test project" },
        { "--ci", "Continuous integration" },
        { "--skip-restore", "Skip the automatic restore" },
    };

    [Theory]
    [MemberData(nameof(Options))]
    public async Task Help_lists_every_option_with_its_description(string option, string descriptionFragment)
    {
        var pack = await TemplatePackage.Shared;
        var help = (await pack.NewAsync(pack.WorkRoot, "-h")).EnsureSuccess().StdOut;

        var at = help.IndexOf("  " + option + " ", StringComparison.Ordinal);
        Assert.True(at >= 0, $"{option} is missing from -h:\n{help}");
        var next = help.IndexOf("\n  -", at + option.Length, StringComparison.Ordinal);
        var entry = help[at..(next < 0 ? help.Length : next)];
        Assert.Contains(descriptionFragment, Unwrap(entry), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Help_hides_the_internal_guards()
    {
        var pack = await TemplatePackage.Shared;
        var help = (await pack.NewAsync(pack.WorkRoot, "-h")).EnsureSuccess().StdOut;
        Assert.DoesNotContain("must-be-between", help);
        Assert.DoesNotContain("needs-a-model", help);
        Assert.DoesNotContain("need-a-model", help);
        Assert.DoesNotContain("needs-front-rest-api", help);
        Assert.DoesNotContain("needs-auth-NONE", help);
        Assert.DoesNotContain("tools-is-not-for-format-openai", help);
        Assert.DoesNotContain("format-openai-cannot-use-front-cloudfront", help);
    }

    [Fact]
    public async Task Help_lists_the_fronts_and_the_auth_types()
    {
        var pack = await TemplatePackage.Shared;
        var help = Unwrap((await pack.NewAsync(pack.WorkRoot, "-h")).EnsureSuccess().StdOut);

        foreach (var value in new[] { "url", "rest-api", "cloudfront", "API_KEY", "NONE", "AWS_IAM" })
            Assert.Contains(value, help);
        Assert.Contains("--front rest-api only", help);
        Assert.Contains("required by --front cloudfront", help);
    }

    public const string ApiKeyNeedsRestApi = "--auth-API_KEY-needs-front-rest-api-because-only-API-Gateway-has-API-keys";
    public const string CloudFrontNeedsAuthNone = "--front-cloudfront-needs-auth-NONE-because-its-edge-is-public-the-Function-URL-behind-it-stays-AWS_IAM";
    public const string ToolsAreTheOpenAiClients = "--tools-is-not-for-format-openai-because-in-OpenAIs-protocol-tools-belong-to-the-client";
    public const string OpenAiNotBehindCloudFront = "--format-openai-cannot-use-front-cloudfront-because-OpenAI-clients-do-not-send-the-body-hash-x-amz-content-sha256";

    public static TheoryData<string[], string[]> RefusedCombinations => new()
    {
        { ["--auth", "API_KEY"], [ApiKeyNeedsRestApi] },
        { ["--front", "url", "--auth", "API_KEY"], [ApiKeyNeedsRestApi] },
        { ["--front", "cloudfront"], [CloudFrontNeedsAuthNone] },
        { ["--front", "cloudfront", "--auth", "AWS_IAM"], [CloudFrontNeedsAuthNone] },
        { ["--front", "cloudfront", "--auth", "API_KEY"], [ApiKeyNeedsRestApi, CloudFrontNeedsAuthNone] },
        { ["--format", "openai", "--tools", "true"], [ToolsAreTheOpenAiClients] },
        { ["--format", "openai", "--front", "cloudfront", "--auth", "NONE"], [OpenAiNotBehindCloudFront] },
    };

    [Theory]
    [MemberData(nameof(RefusedCombinations))]
    public async Task Combinations_that_make_no_sense_are_refused_with_why_and_nothing_is_written(string[] options, string[] messages)
    {
        var pack = await TemplatePackage.Shared;
        var folder = pack.NewFolder("refused");
        var output = Path.Combine(folder, "Demo");

        var result = await pack.NewAsync(folder, ["-n", "Demo", "-o", output, .. options]);

        Assert.NotEqual(0, result.ExitCode);
        foreach (var message in messages)
            Assert.Contains(message, result.Output);
        AssertNothingWritten(output);
    }

    [Theory]
    [InlineData("--memory", "127", "128", "10240")]
    [InlineData("--memory", "10241", "128", "10240")]
    [InlineData("--timeout", "0", "1", "900")]
    [InlineData("--timeout", "901", "1", "900")]
    [InlineData("--max-tokens", "0", "1", "65536")]
    [InlineData("--max-tokens", "65537", "1", "65536")]
    public async Task Out_of_range_numbers_are_refused_with_the_range_and_nothing_is_written(string option, string value, string low, string high)
    {
        var pack = await TemplatePackage.Shared;
        var folder = pack.NewFolder("refused");
        var output = Path.Combine(folder, "Demo");

        var result = await pack.NewAsync(folder, "-n", "Demo", "-o", output, option, value);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"{option}-must-be-between-{low}-and-{high}", result.Output);
        AssertNothingWritten(output);
    }

    [Theory]
    [InlineData("--auth", "PUBLIC", "AWS_IAM")]
    [InlineData("--front", "alb", "rest-api")]
    [InlineData("--model", "gpt-4", "us.amazon.nova-2-lite-v1:0")]
    [InlineData("--package-type", "lambda", "zip")]
    [InlineData("--architecture", "x64", "arm64")]
    [InlineData("--format", "json", "sse")]
    [InlineData("--sdk", "v3", "core")]
    [InlineData("--framework", "net7.0", "net8.0")]
    [InlineData("--ci", "gitlab", "github")]
    [InlineData("--aot", "maybe", "not a valid option")]
    [InlineData("--memory", "lots", "memory")]
    [InlineData("--reasoning", "max", "medium")]
    [InlineData("--prompt-cache", "sometimes", "not a valid option")]
    public async Task Unknown_values_are_refused_with_the_allowed_values_and_nothing_is_written(string option, string value, string allowed)
    {
        var pack = await TemplatePackage.Shared;
        var folder = pack.NewFolder("refused");
        var output = Path.Combine(folder, "Demo");

        var result = await pack.NewAsync(folder, "-n", "Demo", "-o", output, option, value);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(value, result.Output);
        Assert.Contains(allowed, result.Output, StringComparison.OrdinalIgnoreCase);
        AssertNothingWritten(output);
    }

    [Theory]
    [InlineData("amazon.nova-pro-v1:0", "--reasoning", "low", "--reasoning-needs-a-model-that-reasons")]
    [InlineData("apac.amazon.nova-lite-v1:0", "--reasoning", "high", "--reasoning-needs-a-model-that-reasons")]
    [InlineData("us.meta.llama4-maverick-17b-instruct-v1:0", "--reasoning", "medium", "--reasoning-needs-a-model-that-reasons")]
    [InlineData("us.deepseek.r1-v1:0", "--tools", "true", "--tools-need-a-model-that-streams-tool-calls")]
    [InlineData("us.meta.llama4-maverick-17b-instruct-v1:0", "--tools", "true", "--tools-need-a-model-that-streams-tool-calls")]
    public async Task Model_features_a_chosen_model_lacks_are_refused_and_nothing_is_written(string model, string option, string value, string guard)
    {
        var pack = await TemplatePackage.Shared;
        var folder = pack.NewFolder("refused");
        var output = Path.Combine(folder, "Demo");

        var result = await pack.NewAsync(folder, "-n", "Demo", "-o", output, "--model", model, option, value);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(guard, result.Output);
        AssertNothingWritten(output);
    }

    [Theory]
    [InlineData("--model", "us.deepseek.r1-v1:0", "--reasoning", "high")]             // DeepSeek-R1 always reasons
    [InlineData("--model", "amazon.nova-pro-v1:0", "--reasoning", "off")]
    [InlineData("--model", "amazon.nova-pro-v1:0", "--tools", "true")]
    [InlineData("--model-id", "acme.new-model-v1:0", "--reasoning", "low")]            // unknown to the template: the function decides at start-up
    public async Task Model_features_a_chosen_model_has_are_accepted(string modelOption, string model, string option, string value)
    {
        var pack = await TemplatePackage.Shared;

        var project = new GeneratedProject(await pack.CreateAsync("Demo", modelOption, model, option, value), "Demo");

        Assert.Contains(model, project.Read("template.yaml"));
    }

    [Fact]
    public async Task Default_project_has_the_documented_layout()
    {
        var pack = await TemplatePackage.Shared;
        var project = new GeneratedProject(await pack.CreateAsync("Demo"), "Demo");

        var files = project.Files();
        string[] expected =
        [
            ".dockerignore", ".gitignore", ".github/workflows/ci.yml", "Demo.slnx", "Dockerfile", "README.md",
            "samconfig.toml", "template.yaml",
            // the function the user edits
            "src/Demo/Demo.csproj", "src/Demo/Program.cs", "src/Demo/ChatHandler.cs", "src/Demo/ChatRequestParser.cs",
            // the plumbing: the Lambda runtime and the Bedrock IChatClient
            "src/Demo.Runtime/Demo.Runtime.csproj", "src/Demo.Runtime/LambdaRuntime.cs", "src/Demo.Runtime/Bedrock/BedrockChatClient.cs",
            "tests/Demo.Tests/Demo.Tests.csproj", "local/Demo.Local/Demo.Local.csproj",
        ];
        foreach (var file in expected)
            Assert.Contains(file, files);
        // Nothing of the plumbing sits beside the code the user edits.
        Assert.DoesNotContain(files, f => f.StartsWith("src/Demo/Lambda/", StringComparison.Ordinal) || f.StartsWith("src/Demo/Bedrock/", StringComparison.Ordinal));
        Assert.Contains("src/Demo.Runtime/Demo.Runtime.csproj", project.Read("Demo.slnx"));
        Assert.DoesNotContain("Makefile", files);
        Assert.DoesNotContain(files, f => f.Contains("BedrockStream.Function", StringComparison.Ordinal) || f.Contains(".template.config", StringComparison.Ordinal));
        Assert.DoesNotContain("BedrockStream.Function", project.Read("src/Demo/Program.cs"));
    }

    [Fact]
    public async Task Name_sets_files_namespaces_and_the_stack_name()
    {
        var pack = await TemplatePackage.Shared;
        var project = new GeneratedProject(await pack.CreateAsync("Acme.Chat_Api"), "Acme.Chat_Api");

        Assert.True(project.Exists("src/Acme.Chat_Api/Acme.Chat_Api.csproj"));
        Assert.Contains("namespace Acme.Chat_Api", project.Read("src/Acme.Chat_Api/ChatHandler.cs"));
        Assert.Contains("namespace Acme.Chat_Api.Runtime", project.Read("src/Acme.Chat_Api.Runtime/Bedrock/BedrockChatClient.cs"));
        Assert.Contains("stack_name = \"acme-chat-api\"", project.Read("samconfig.toml"));
        Assert.Contains("Acme.Chat_Api", project.Read("template.yaml"));
    }

    [Fact]
    public async Task Restore_runs_after_creation_unless_skip_restore()
    {
        var pack = await TemplatePackage.Shared;
        var folder = pack.NewFolder("dry-run");

        var withRestore = (await pack.NewAsync(folder, "-n", "Demo", "--dry-run")).EnsureSuccess().Output;
        var withoutRestore = (await pack.NewAsync(folder, "-n", "Demo", "--dry-run", "--skip-restore")).EnsureSuccess().Output;

        Assert.Contains("Restore NuGet packages", withRestore);
        Assert.DoesNotContain("Restore NuGet packages", withoutRestore);
    }

    [Fact]
    public async Task Without_tests_and_ci_the_project_has_neither()
    {
        var pack = await TemplatePackage.Shared;
        var project = new GeneratedProject(await pack.CreateAsync("Lean", "--tests", "false", "--ci", "none"), "Lean");

        Assert.False(project.Exists("tests"));
        Assert.False(project.Exists(".github"));
        Assert.DoesNotContain("Tests", project.Read("Lean.slnx"));
        Assert.True(project.Exists("local/Lean.Local/Lean.Local.csproj"));
    }

    [Fact]
    public async Task Visual_Studio_sees_every_option()
    {
        var config = Path.Combine(RepoPaths.TemplateSource, ".template.config");
        var template = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(config, "template.json")))!;
        var ide = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(config, "ide.host.json")))!;

        Assert.Equal("project", (string?)template["tags"]!["type"]);
        Assert.True((bool?)ide["defaultSymbolVisibility"]);
        Assert.True(File.Exists(Path.Combine(config, (string)ide["icon"]!)));
        var hidden = ide["symbolInfo"]!.AsArray().Where(s => (bool?)s!["isVisible"] == false).Select(s => (string)s!["id"]!).ToList();
        // Only the guards are hidden: parameters whose isRequired is a condition, never set by a user.
        var guards = template["symbols"]!.AsObject().Where(s => s.Value!["isRequired"] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue(out string? _)).Select(s => s.Key);
        Assert.Equal(guards.Order(), hidden.Order());
        // Only the guards are hidden: parameters that are required exactly when a value or a combination is invalid,
        // hidden from -h as well.
        var cli = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(config, "dotnetcli.host.json")))!["symbolInfo"]!;
        Assert.All(hidden, id =>
        {
            Assert.False(string.IsNullOrWhiteSpace((string?)template["symbols"]![id]!["isRequired"]), id + " is hidden but is not a guard");
            Assert.True((bool?)cli[id]!["isHidden"], id + " is hidden in Visual Studio but not in -h");
        });
        Assert.Contains("ApiKeyNeedsRestApi", hidden);
        Assert.Contains("CloudFrontNeedsAuthNone", hidden);
        Assert.Contains("ToolsAreTheOpenAiClients", hidden);
        Assert.Contains("OpenAiNotBehindCloudFront", hidden);
        Assert.Contains("MemoryOutOfRange", hidden);
        var parameters = template["symbols"]!.AsObject().Where(s => (string?)s.Value!["type"] == "parameter").ToList();
        Assert.All(parameters, p => Assert.False(string.IsNullOrWhiteSpace((string?)p.Value!["description"]), p.Key + " has no description"));
        Assert.All(parameters.Where(p => !hidden.Contains(p.Key)), p => Assert.False(string.IsNullOrWhiteSpace((string?)p.Value!["displayName"]), p.Key + " has no displayName"));
    }

    private static void AssertNothingWritten(string output) =>
        Assert.True(!Directory.Exists(output) || !Directory.EnumerateFileSystemEntries(output).Any(), $"files were written to {output}");

    private static string Unwrap(string text) => string.Join(' ', text.Split((char[])['\n', '\r', ' '], StringSplitOptions.RemoveEmptyEntries));
}
