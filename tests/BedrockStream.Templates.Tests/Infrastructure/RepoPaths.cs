namespace BedrockStream.Templates.Tests.Infrastructure;

/// <summary>Locations in this repository, found from the test assembly's folder.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string PackProject => Path.Combine(Root, "TemplatePack.csproj");

    public static string TemplateSource => Path.Combine(Root, "content", "bedrock-stream");

    public static string SamSchema => Path.Combine(AppContext.BaseDirectory, "Schemas", "sam.schema.json");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TemplatePack.csproj")))
                return dir.FullName;
        throw new InvalidOperationException("TemplatePack.csproj not found above " + AppContext.BaseDirectory);
    }
}
