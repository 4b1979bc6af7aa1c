using System.Text.RegularExpressions;
using BedrockStream.Templates.Tests.Infrastructure;

namespace BedrockStream.Templates.Tests;

/// <summary>What every user of the pack reads: the generated sources cite only what they contain or public documentation.</summary>
public partial class GeneratedSourceTests
{
    [Theory]
    [InlineData("core")]
    [InlineData("full")]
    public async Task No_file_cites_a_document_the_project_does_not_contain(string sdk)
    {
        var pack = await TemplatePackage.Shared;
        var project = new GeneratedProject(await pack.CreateAsync("Cite", "--sdk", sdk), "Cite");
        var files = project.Files();

        var problems = new List<string>();
        foreach (var file in files.Where(IsText))
        {
            var text = project.Read(file);
            foreach (Match m in MarkdownReference().Matches(text))
            {
                if (m.Value.Contains("://", StringComparison.Ordinal))
                    continue; // a public URL
                var name = m.Groups["name"].Value;
                if (!files.Any(f => f.EndsWith("/" + name, StringComparison.Ordinal) || f == name))
                    problems.Add($"{file}: cites {name}");
            }
            if (text.Contains('§'))
                problems.Add($"{file}: cites a section (§) of a document it does not contain");
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public async Task Dockerfile_restore_layer_copies_every_project_the_function_references()
    {
        // No Docker engine here: replay the build stage's COPY lines up to its restore into an empty folder and
        // run the same restore, so a project reference the layer forgot fails here as it would in `docker build`.
        var pack = await TemplatePackage.Shared;
        var project = new GeneratedProject(await pack.CreateAsync("Layer", "--tests", "false"), "Layer");
        var lines = project.Read("Dockerfile").Split('\n').Select(l => l.Trim()).ToList();
        var restore = lines.First(l => l.StartsWith("RUN dotnet restore ", StringComparison.Ordinal));
        var context = pack.NewFolder("docker-layer");

        foreach (var copy in lines.TakeWhile(l => l != restore).Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from", StringComparison.Ordinal)))
        {
            var parts = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var (source, target) = (parts[1], parts[2]);
            var destination = Path.Combine(context, target.TrimEnd('/') == "." ? "" : target);
            if (target.EndsWith('/') || target == "./")
                destination = Path.Combine(destination, Path.GetFileName(source));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(project.PathOf(source), destination);
        }

        var arguments = restore["RUN dotnet ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        (await Dotnet.RunAsync(arguments, context, TimeSpan.FromMinutes(3))).EnsureSuccess();
    }

    private static bool IsText(string file) =>
        !file.EndsWith(".png", StringComparison.Ordinal) && !file.EndsWith(".ico", StringComparison.Ordinal);

    // A file name ending in .md, alone or at the end of a path or URL.
    [GeneratedRegex(@"[\w:/.-]*?(?<name>[\w-]+\.md)\b")]
    private static partial Regex MarkdownReference();
}
