using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace BedrockStream.Templates.Tests.Infrastructure;

/// <summary>Reads the files of a generated project.</summary>
public sealed partial class GeneratedProject(string directory, string name)
{
    public string Directory { get; } = directory;

    public string Name { get; } = name;

    public string PathOf(string relative) => System.IO.Path.Combine(Directory, relative);

    public bool Exists(string relative) => File.Exists(PathOf(relative)) || System.IO.Directory.Exists(PathOf(relative));

    public string Read(string relative) => File.ReadAllText(PathOf(relative));

    public JsonObject SamTemplate() => CloudFormationYaml.Load(PathOf("template.yaml"));

    public JsonObject FunctionProperties() =>
        SamTemplate()["Resources"]!["StreamingFunction"]!["Properties"]!.AsObject();

    /// <summary>Every file, relative, with forward slashes, sorted.</summary>
    public IReadOnlyList<string> Files() =>
        System.IO.Directory.EnumerateFiles(Directory, "*", SearchOption.AllDirectories)
            .Select(f => System.IO.Path.GetRelativePath(Directory, f).Replace('\\', '/'))
            .Where(f => !f.Contains("/bin/") && !f.Contains("/obj/") && !f.StartsWith("bin/") && !f.StartsWith("obj/"))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>The arguments of the first <c>dotnet publish</c> command in a file, without its <c>-o</c> target.</summary>
    public string PublishArguments(string relative)
    {
        var match = PublishCommand().Match(Read(relative));
        Assert.True(match.Success, $"no dotnet publish command in {relative}");
        return OutputOption().Replace(match.Groups[1].Value.Trim(), "").Trim();
    }

    [GeneratedRegex(@"dotnet publish ([^\r\n]+)")]
    private static partial Regex PublishCommand();

    [GeneratedRegex(@"\s+-o\s+\S+")]
    private static partial Regex OutputOption();
}
