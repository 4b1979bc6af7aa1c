using System.Text.RegularExpressions;
using BedrockStream.Templates.Tests.Infrastructure;

namespace BedrockStream.Templates.Tests;

/// <summary>
/// <c>--sdk full</c> (Amazon.Lambda.RuntimeSupport + Amazon.Lambda.Core + AWSSDK.BedrockRuntime). Those packages are not
/// served by the feed reachable here, so the variant is proven by its files: the full adapters in Runtime/ and Bedrock/,
/// no core leftovers, pinned package references, and everything outside the two seams identical to <c>--sdk core</c>.
/// </summary>
public partial class SdkFullTests
{
    private static readonly string[] FullAdapters =
    [
        "Runtime/RuntimeApiClient.cs",
        "Runtime/LambdaBootstrap.cs",
        "Runtime/LambdaHttpResponseStream.cs",
        "Bedrock/BedrockChatModel.cs",
        "Bedrock/BedrockErrorCodes.cs",
    ];

    private static readonly string[] CoreOnlyFiles =
    [
        "Runtime/StreamingResponse.cs",
        "Runtime/HttpConnection.cs",
        "Runtime/HttpPrelude.cs",
        "Runtime/PooledBufferWriter.cs",
        "Bedrock/SigV4Signer.cs",
        "Bedrock/ConverseStreamDecoder.cs",
        "Bedrock/ConverseEventParser.cs",
        "Bedrock/ConverseRequestWriter.cs",
        "Bedrock/BedrockHttp.cs",
    ];

    [Fact]
    public async Task Full_variant_has_the_full_adapters_and_no_core_files()
    {
        var project = await CreateAsync("FullFiles", "--sdk", "full");
        var files = project.Files();

        foreach (var adapter in FullAdapters)
            Assert.Contains($"src/FullFiles/{adapter}", files);
        foreach (var coreFile in CoreOnlyFiles)
            Assert.DoesNotContain($"src/FullFiles/{coreFile}", files);
        Assert.DoesNotContain(files, f => f.Contains("/Full/"));

        // Core-only tests go with the core runtime and client; the handler's tests stay.
        Assert.DoesNotContain(files, f => f.StartsWith("tests/FullFiles.Tests/Runtime/", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.StartsWith("tests/FullFiles.Tests/Bedrock/", StringComparison.Ordinal));
        // The core runtime's own process-level fault tests do not apply to RuntimeSupport's loop.
        Assert.DoesNotContain("tests/FullFiles.Tests/Reliability/RuntimeApiFaultTests.cs", files);
        Assert.Contains("tests/FullFiles.Tests/Reliability/FaultMatrixTests.cs", files);
        Assert.Contains(files, f => f.StartsWith("tests/FullFiles.Tests/Handler/", StringComparison.Ordinal));

        // The adapters are the AWS packages' APIs, under the generated project's namespace.
        var bootstrap = project.Read("src/FullFiles/Runtime/LambdaBootstrap.cs");
        Assert.Contains("namespace FullFiles.Runtime;", bootstrap);
        Assert.Contains("LambdaBootstrapBuilder.Create(", bootstrap);
        Assert.Contains("LambdaResponseStreamFactory.CreateHttpStream(", project.Read("src/FullFiles/Runtime/LambdaHttpResponseStream.cs"));
        var model = project.Read("src/FullFiles/Bedrock/BedrockChatModel.cs");
        Assert.Contains("namespace FullFiles.Bedrock;", model);
        Assert.Contains("ConverseStreamAsync(", model);
        Assert.Contains("BedrockRuntimeEventStreamException", model);
        Assert.DoesNotContain("BedrockStream.Function", string.Concat(FullAdapters.Select(a => project.Read($"src/FullFiles/{a}"))));
    }

    [Fact]
    public async Task Full_variant_references_the_pinned_AWS_packages_only()
    {
        var project = await CreateAsync("FullPkgs", "--sdk", "full");
        var csproj = project.Read("src/FullPkgs/FullPkgs.csproj");

        var references = PackageReference().Matches(csproj).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["Amazon.Lambda.RuntimeSupport"] = "2.1.2",
                ["Amazon.Lambda.Core"] = "3.3.0",
                ["AWSSDK.BedrockRuntime"] = "4.1.0",
            },
            references);
        Assert.DoesNotContain("AWSSDK.Core", csproj);   // comes with AWSSDK.BedrockRuntime
        Assert.DoesNotContain("Full/", csproj);
        Assert.DoesNotContain("Compile Remove", csproj);
        Assert.DoesNotContain("#if", csproj);
        Assert.DoesNotContain("EnablePreviewFeatures", csproj);   // streaming is GA in Amazon.Lambda.Core 3.3.0

        // AWSSDK.Core-only leftovers of the core client must not be referenced from the full sources.
        var sources = string.Concat(project.Files()
            .Where(f => f.StartsWith("src/FullPkgs/", StringComparison.Ordinal) && f.EndsWith(".cs", StringComparison.Ordinal))
            .Select(project.Read));
        foreach (var leftover in new[] { "SigV4Signer", "ConverseStreamDecoder", "DefaultAWSCredentialsIdentityResolver", "StreamingResponse", "BedrockEndpoint" })
            Assert.DoesNotContain(leftover, sources);
    }

    [Theory]
    [InlineData("Program.cs")]
    [InlineData("StreamingHandler.cs")]
    [InlineData("IChatModel.cs")]
    [InlineData("IHttpResponseStream.cs")]
    [InlineData("Invocation.cs")]
    public async Task Handler_and_composition_root_are_the_same_as_in_core(string file)
    {
        var core = await CreateAsync("Same", "--sdk", "core");
        var full = await CreateAsync("Same", "--sdk", "full");

        Assert.Equal(core.Read($"src/Same/{file}"), full.Read($"src/Same/{file}"));
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

    [Theory]
    [InlineData("true")]
    [InlineData("false")]
    public async Task Full_Dockerfile_publishes_the_same_way_as_core(string aot)
    {
        var core = await CreateAsync("Img", "--sdk", "core", "--aot", aot);
        var full = await CreateAsync("Img", "--sdk", "full", "--aot", aot);

        Assert.Equal(core.Read("Dockerfile"), full.Read("Dockerfile"));
        Assert.Equal(core.PublishArguments("Dockerfile"), full.PublishArguments("Dockerfile"));
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
    public async Task Core_variant_has_no_Full_folder_and_no_template_only_leftovers()
    {
        var project = await CreateAsync("CoreOnly", "--sdk", "core");
        var files = project.Files();
        var csproj = project.Read("src/CoreOnly/CoreOnly.csproj");

        Assert.DoesNotContain(files, f => f.Contains("/Full/"));
        Assert.Contains("src/CoreOnly/Runtime/StreamingResponse.cs", files);
        Assert.Contains("src/CoreOnly/Bedrock/SigV4Signer.cs", files);
        Assert.DoesNotContain("src/CoreOnly/Runtime/LambdaHttpResponseStream.cs", files);
        Assert.DoesNotContain("Compile Remove", csproj);
        Assert.DoesNotContain("Full/", csproj);
        Assert.DoesNotContain("Amazon.Lambda", csproj);
        Assert.DoesNotContain("AWSSDK.BedrockRuntime", csproj);
    }

    [Fact]
    public async Task Template_source_keeps_the_full_variant_out_of_its_own_build()
    {
        // The template folder is built as the core variant: Full/ must be excluded there, inside a block the engine drops.
        var csproj = await File.ReadAllTextAsync(Path.Combine(RepoPaths.TemplateSource, "src", "BedrockStream.Function", "BedrockStream.Function.csproj"));
        var block = Regex.Match(csproj, @"<!--#if \(false\) -->(.*?)<!--#endif -->", RegexOptions.Singleline);

        Assert.True(block.Success, "no template-only block in the function csproj");
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
