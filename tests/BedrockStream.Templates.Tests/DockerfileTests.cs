using System.Text.RegularExpressions;
using BedrockStream.Templates.Tests.Infrastructure;

namespace BedrockStream.Templates.Tests;

/// <summary>
/// The Dockerfile and the zip path. No Docker engine runs here, so the image is checked by its
/// structure, and its publish step by being the very command the build tests run.
/// </summary>
public partial class DockerfileTests
{
    [Theory]
    [InlineData("x86_64", "linux-x64")]
    [InlineData("arm64", "linux-arm64")]
    public async Task Dockerfile_is_multi_stage_and_runs_the_bootstrap(string architecture, string rid)
    {
        var pack = await TemplatePackage.Shared;
        var project = new GeneratedProject(await pack.CreateAsync("Img", "--architecture", architecture, "--tests", "false"), "Img");
        var dockerfile = project.Read("Dockerfile");

        var stages = FromLine().Matches(dockerfile).Select(m => m.Groups[1].Value.Trim()).ToList();
        Assert.Equal(2, stages.Count);
        Assert.Equal("public.ecr.aws/amazonlinux/amazonlinux:2023 AS build", stages[0]);
        Assert.Equal("public.ecr.aws/lambda/provided:al2023", stages[1]);
        Assert.Matches(@"COPY --from=build /artifacts/ \$\{LAMBDA_RUNTIME_DIR\}/", dockerfile);
        Assert.Contains($"-r {rid}", project.PublishArguments("Dockerfile"));
        Assert.Contains("clang", dockerfile);
        Assert.False(project.Exists("Makefile"));
        Assert.Contains("Img/Img.csproj", project.PublishArguments("Dockerfile"));
    }

    [Theory]
    [InlineData("true")]
    [InlineData("false")]
    public async Task Image_and_zip_paths_publish_with_the_same_command(string aot)
    {
        var pack = await TemplatePackage.Shared;
        var image = new GeneratedProject(await pack.CreateAsync("Same", "--aot", aot, "--tests", "false"), "Same");
        var zip = new GeneratedProject(await pack.CreateAsync("Same", "--aot", aot, "--tests", "false", "--package-type", "zip"), "Same");

        var fromDockerfile = image.PublishArguments("Dockerfile");
        Assert.Equal(fromDockerfile, zip.PublishArguments("Makefile"));
        Assert.Equal(fromDockerfile, image.PublishArguments(".github/workflows/ci.yml"));
        Assert.Equal("src/Same/Same.csproj -c Release -r linux-x64 --self-contained", fromDockerfile);
        Assert.False(zip.Exists("Dockerfile"));
        Assert.Contains("build-StreamingFunction:", zip.Read("Makefile"));

        var csproj = image.Read("src/Same/Same.csproj");
        Assert.Equal(aot == "true", csproj.Contains("<PublishAot>true</PublishAot>"));
        Assert.Equal(aot != "true", csproj.Contains("<PublishReadyToRun>true</PublishReadyToRun>"));
        Assert.Contains("<AssemblyName>bootstrap</AssemblyName>", csproj);
    }

    [GeneratedRegex(@"^FROM\s+(.+)$", RegexOptions.Multiline)]
    private static partial Regex FromLine();
}
