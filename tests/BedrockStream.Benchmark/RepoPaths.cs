using System.Security.Cryptography;
using System.Text;

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

    /// <summary>
    /// Publish outputs, their intermediate files, the reference tree and the TLS files: outside the repository, kept
    /// between runs so that re-publishing is incremental; one per working tree (a hash of its path), so that two
    /// checkouts benchmarking on one machine never publish over each other's binaries.
    /// </summary>
    public static string WorkDirectory => Path.Combine(SharedWorkDirectory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Root)))[..12]);

    /// <summary>What every working tree may share: installs keyed by their own inputs (the Node.js peer's node_modules).</summary>
    public static string SharedWorkDirectory => Path.Combine(Path.GetTempPath(), "bedrock-stream-benchmark");

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "TemplatePack.csproj")))
                    return dir.FullName;
        throw new InvalidOperationException("TemplatePack.csproj not found above " + AppContext.BaseDirectory);
    }
}
