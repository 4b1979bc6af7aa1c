using System.Text.RegularExpressions;
using BedrockStream.Templates.Tests.Infrastructure;

namespace BedrockStream.Templates.Tests;

/// <summary>
/// <c>--sdk full</c>: Amazon.Lambda.RuntimeSupport + Amazon.Lambda.Core + AWSSDK.BedrockRuntime + AWS.Bedrock.MEAI.
/// Those packages are not served by the feed reachable here, so the variant is proven by its files: only the plumbing
/// project differs from <c>--sdk core</c> (AWS's APIs, no client, signer or event-stream decoder of its own), its
/// package references are pinned, and the function's own code, tests, SAM template and build recipes are the same.
/// </summary>
public partial class SdkFullTests
{
    private static readonly string[] FullPlumbing =
    [
        "Lambda/LambdaBootstrap.cs",
        "Lambda/LambdaHttpResponseStream.cs",
        "Lambda/RuntimeApiClient.cs",
        "Bedrock/BedrockChatClient.cs",
        "Bedrock/BedrockHttpClientFactory.cs",
        "Bedrock/BedrockStopReason.cs",
        "Bedrock/ConverseRequests.cs",
    ];

    private static readonly string[] CoreOnlyPlumbing =
    [
        "Lambda/StreamingResponse.cs",
        "Lambda/HttpConnection.cs",
        "Lambda/HttpPrelude.cs",
        "Bedrock/SigV4Signer.cs",
        "Bedrock/ConverseStreamDecoder.cs",
        "Bedrock/ConverseEventParser.cs",
        "Bedrock/ConverseRequestWriter.cs",
        "Bedrock/ConverseUpdateTranslator.cs",
        "Bedrock/BedrockHttp.cs",
    ];

    [Fact]
    public async Task Full_variant_has_the_full_plumbing_and_no_core_plumbing()
    {
        var project = await CreateAsync("FullFiles", "--sdk", "full");
        var files = project.Files();

        foreach (var file in FullPlumbing)
            Assert.Contains($"src/FullFiles.Runtime/{file}", files);
        foreach (var file in CoreOnlyPlumbing)
            Assert.DoesNotContain($"src/FullFiles.Runtime/{file}", files);
        Assert.DoesNotContain(files, f => f.Contains("/Full/"));

        // Core-only tests go with the core plumbing; the function's tests stay.
        Assert.DoesNotContain(files, f => f.StartsWith("tests/FullFiles.Tests/Lambda/", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.StartsWith("tests/FullFiles.Tests/Bedrock/", StringComparison.Ordinal));
        Assert.DoesNotContain("tests/FullFiles.Tests/Reliability/RuntimeApiFaultTests.cs", files);
        Assert.Contains("tests/FullFiles.Tests/Reliability/FaultMatrixTests.cs", files);
        Assert.Contains(files, f => f.StartsWith("tests/FullFiles.Tests/Handler/", StringComparison.Ordinal));
        Assert.Contains(files, f => f.StartsWith("tests/FullFiles.Tests/EndToEnd/", StringComparison.Ordinal));

        // The plumbing is AWS's packages' APIs, under the generated project's namespace.
        Assert.Contains("LambdaBootstrapBuilder.Create(", project.Read("src/FullFiles.Runtime/Lambda/LambdaBootstrap.cs"));
        Assert.Contains("LambdaResponseStreamFactory.CreateHttpStream(", project.Read("src/FullFiles.Runtime/Lambda/LambdaHttpResponseStream.cs"));
        var client = project.Read("src/FullFiles.Runtime/Bedrock/BedrockChatClient.cs");
        Assert.Contains("namespace FullFiles.Runtime;", client);
        Assert.Contains(".AsIChatClient(modelId)", client);
        Assert.Contains("BedrockRuntimeEventStreamException", client);
        Assert.Contains("RawRepresentationFactory", project.Read("src/FullFiles.Runtime/Bedrock/ConverseRequests.cs"));
        Assert.DoesNotContain("BedrockStream.Function", string.Concat(FullPlumbing.Select(f => project.Read($"src/FullFiles.Runtime/{f}"))));
    }

    [Fact]
    public async Task Full_variant_references_the_pinned_AWS_packages_only()
    {
        var project = await CreateAsync("FullPkgs", "--sdk", "full");
        var csproj = project.Read("src/FullPkgs.Runtime/FullPkgs.Runtime.csproj");

        var references = PackageReference().Matches(csproj).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["Amazon.Lambda.RuntimeSupport"] = "2.2.0",
                ["Amazon.Lambda.Core"] = "3.3.0",
                ["AWSSDK.BedrockRuntime"] = "4.0.17.5",
                ["AWS.Bedrock.MEAI"] = "1.1.0",
                ["Microsoft.Extensions.AI.Abstractions"] = "10.11.0",
            },
            references);
        Assert.DoesNotContain("AWSSDK.Core", csproj);   // comes with AWSSDK.BedrockRuntime
        Assert.DoesNotContain("Full/", csproj);
        Assert.DoesNotContain("Compile Remove", csproj);
        Assert.DoesNotContain("#if", csproj);
        Assert.DoesNotContain("EnablePreviewFeatures", csproj);   // streaming is GA in Amazon.Lambda.Core 3.3.0

        // No ConverseStream client, signer or event-stream decoder of its own in the full plumbing.
        var sources = string.Concat(project.Files()
            .Where(f => f.StartsWith("src/FullPkgs.Runtime/", StringComparison.Ordinal) && f.EndsWith(".cs", StringComparison.Ordinal))
            .Select(project.Read));
        foreach (var leftover in new[] { "SigV4Signer", "AWS4Signer", "EventStreamDecoder", "ConverseStreamDecoder", "DefaultAWSCredentialsIdentityResolver", "StreamingResponse", "BedrockEndpoint", "converse-stream" })
            Assert.DoesNotMatch($@"\b{leftover}\b", sources);
    }

    [Fact]
    public async Task The_function_and_its_tests_are_the_same_as_in_core()
    {
        var core = await CreateAsync("Same", "--sdk", "core");
        var full = await CreateAsync("Same", "--sdk", "full");

        // Everything but the plumbing's Lambda/ and Bedrock/ and the core-only tests is identical, file for file.
        bool Shared(string f) =>
            !f.StartsWith("src/Same.Runtime/Lambda/", StringComparison.Ordinal) && !f.StartsWith("src/Same.Runtime/Bedrock/", StringComparison.Ordinal)
            && !f.StartsWith("tests/Same.Tests/Lambda/", StringComparison.Ordinal) && !f.StartsWith("tests/Same.Tests/Bedrock/", StringComparison.Ordinal)
            && f != "tests/Same.Tests/Reliability/RuntimeApiFaultTests.cs"
            && f != "tests/Same.Tests/EndToEnd/SlowToolTests.cs"   // runs the core runtime client in-process
            && f != "src/Same.Runtime/Same.Runtime.csproj" && f != "README.md";
        var coreFiles = core.Files().Where(Shared).ToList();
        Assert.Equal(coreFiles, full.Files().Where(Shared).ToList());
        Assert.Contains("src/Same/ChatHandler.cs", coreFiles);
        Assert.Contains("src/Same.Runtime/LambdaRuntime.cs", coreFiles);
        Assert.All(coreFiles, f => Assert.True(core.Read(f) == full.Read(f), $"{f} differs between --sdk core and --sdk full"));
    }

    [Theory]
    [InlineData("true")]
    [InlineData("false")]
    public async Task Full_Dockerfile_publishes_the_same_way_as_core(string aot)
    {
        var core = await CreateAsync("Img", "--sdk", "core", "--aot", aot);
        var full = await CreateAsync("Img", "--sdk", "full", "--aot", aot);

        Assert.Equal(core.Read("Dockerfile"), full.Read("Dockerfile"));
        Assert.Equal("src/Img/Img.csproj -c Release -r linux-x64 --self-contained", full.PublishArguments("Dockerfile"));
        Assert.Equal(full.PublishArguments("Dockerfile"), full.PublishArguments(".github/workflows/ci.yml"));
    }

    [Fact]
    public async Task Full_zip_package_builds_the_bootstrap_the_same_way_as_core()
    {
        var core = await CreateAsync("Zip", "--sdk", "core", "--package-type", "zip");
        var full = await CreateAsync("Zip", "--sdk", "full", "--package-type", "zip");

        Assert.Equal(core.Read("Makefile"), full.Read("Makefile"));
        Assert.False(full.Exists("Dockerfile"));
    }

    [Fact]
    public async Task Full_template_yaml_is_valid_SAM_and_the_same_as_core()
    {
        var core = await CreateAsync("Sam", "--sdk", "core");
        var full = await CreateAsync("Sam", "--sdk", "full");

        var errors = await SamSchema.ValidateAsync(full.SamTemplate());

        Assert.True(errors.Count == 0, string.Join('\n', errors));
        Assert.Equal(core.Read("template.yaml"), full.Read("template.yaml"));
        Assert.Equal(core.Read("samconfig.toml"), full.Read("samconfig.toml"));
    }

    [Fact]
    public async Task Core_variant_has_no_Full_folder_and_no_template_only_leftovers()
    {
        var project = await CreateAsync("CoreOnly", "--sdk", "core");
        var files = project.Files();
        var csproj = project.Read("src/CoreOnly.Runtime/CoreOnly.Runtime.csproj");

        Assert.DoesNotContain(files, f => f.Contains("/Full/"));
        foreach (var file in CoreOnlyPlumbing)
            Assert.Contains($"src/CoreOnly.Runtime/{file}", files);
        Assert.DoesNotContain("src/CoreOnly.Runtime/Lambda/LambdaHttpResponseStream.cs", files);
        Assert.DoesNotContain("Compile Remove", csproj);
        Assert.DoesNotContain("Full/", csproj);
        Assert.DoesNotContain("Amazon.Lambda", csproj);
        Assert.DoesNotContain("AWSSDK.BedrockRuntime", csproj);
        Assert.Contains("<PackageReference Include=\"AWSSDK.Core\"", csproj);
    }

    [Fact]
    public async Task Template_source_keeps_the_full_variant_out_of_its_own_build()
    {
        // The template folder is built as the core variant: Full/ must be excluded there, inside a block the engine drops.
        var csproj = await File.ReadAllTextAsync(Path.Combine(RepoPaths.TemplateSource, "src", "BedrockStream.Function.Runtime", "BedrockStream.Function.Runtime.csproj"));
        var block = Regex.Match(csproj, @"<!--#if \(false\) -->(.*?)<!--#endif -->", RegexOptions.Singleline);

        Assert.True(block.Success, "no template-only block in the plumbing's csproj");
        Assert.Contains("<Compile Remove=\"Full/**\" />", block.Groups[1].Value);
    }

    private static async Task<GeneratedProject> CreateAsync(string name, params string[] options)
    {
        var pack = await TemplatePackage.Shared;
        return new GeneratedProject(await pack.CreateAsync(name, options), name);
    }

    [GeneratedRegex("<PackageReference Include=\"([^\"]+)\" Version=\"([^\"]+)\" />")]
    private static partial Regex PackageReference();
}
