namespace BedrockStream.Benchmark;

/// <summary>Locations in the pack repository, found by walking up to TemplatePack.csproj (no machine paths).</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string FunctionProject => Path.Combine([Root, .. FunctionProjectInTemplate]);

    /// <summary>Where the function project lies inside the template (also inside a tree extracted from an older commit).</summary>
    public static readonly string[] FunctionProjectInTemplate = ["content", "bedrock-stream", "src", "BedrockStream.Function", "BedrockStream.Function.csproj"];

    public static string Baseline => Path.Combine(Root, "tests", "baseline", "bootstrap.py");

    /// <summary>The Node.js peer's sources: index.mjs, package.json, package-lock.json (its node_modules never live here).</summary>
    public static string NodePeer => Path.Combine(Root, "tests", "baseline", "node");

    /// <summary>Publish outputs and their intermediate files: outside the repository, kept between runs so re-publishing is incremental.</summary>
    public static string WorkDirectory => Path.Combine(Path.GetTempPath(), "bedrock-stream-benchmark");

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "TemplatePack.csproj")))
                    return dir.FullName;
        throw new InvalidOperationException("TemplatePack.csproj not found above " + AppContext.BaseDirectory);
    }
}
