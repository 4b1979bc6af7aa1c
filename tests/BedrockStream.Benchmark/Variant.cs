using System.Diagnostics;
using System.IO.Compression;

namespace BedrockStream.Benchmark;

/// <summary>What a variant is to the comparison: the template's function now, the same at an earlier commit, or a peer runtime.</summary>
internal enum VariantRole
{
    /// <summary>The template's function as it is in this working tree.</summary>
    Current,
    /// <summary>The template's function built from an earlier commit, so that a change can be compared in one run.</summary>
    Reference,
    /// <summary>Another runtime doing the same job (the Python recipe, the Node.js runtime interface client).</summary>
    Peer,
}

/// <summary>One runtime under test: how to start it, what else it needs in its environment, and what it ships.</summary>
/// <param name="ShortName">For the ratio columns: "AOT", "Python", "Node", "befb48b".</param>
/// <param name="Environment">Variables on top of Lambda's (e.g. the Node runtime client's <c>_HANDLER</c> and <c>LAMBDA_TASK_ROOT</c>).</param>
/// <param name="Artifact">What is deployed: a folder (zipped as is) or a single file.</param>
/// <param name="ArtifactNote">What the zipped artifact leaves out, when that matters for reading it.</param>
/// <param name="NativeAot">A Native AOT publish of the template's function (the AOT targets apply).</param>
/// <param name="Description">What exactly ran (versions), for the notes under the tables.</param>
internal sealed record Variant(
    string Name,
    string ShortName,
    VariantRole Role,
    string FileName,
    IReadOnlyList<string> Arguments,
    string Artifact,
    IReadOnlyDictionary<string, string> Environment,
    string? ArtifactNote = null,
    bool NativeAot = false,
    string? Description = null)
{
    /// <summary>The template's function (current or reference) rather than a peer: the variants that targets apply to.</summary>
    public bool IsTemplateFunction => Role != VariantRole.Peer;

    /// <summary>The command line for <c>LocalHostOptions.FunctionCommand</c> (quoted, so paths may hold spaces).</summary>
    public string CommandLine => string.Join(' ', new[] { FileName }.Concat(Arguments).Select(a => $"\"{a}\""));

    /// <summary>
    /// How to start the function with Lambda's environment <paramref name="lambda"/> plus this variant's own, inside
    /// the CPU share's cgroup when <paramref name="cgroups"/> is given.
    /// </summary>
    public ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string?> lambda, CpuQuotaCgroups? cgroups, CpuShare share)
    {
        var (file, arguments) = cgroups?.Wrap(FileName, Arguments, share, ShortName) ?? (FileName, Arguments);
        var start = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in lambda)
        {
            if (value is null) start.Environment.Remove(key);
            else start.Environment[key] = value;
        }
        foreach (var (key, value) in Environment) start.Environment[key] = value;
        return start;
    }

    /// <summary>The deployable artifact zipped (what `sam build` uploads for a zip package), in MB.</summary>
    public double ZipMegabytes()
    {
        var zip = Path.Combine(RepoPaths.WorkDirectory, ShortName + ".zip");
        File.Delete(zip);
        if (Directory.Exists(Artifact))
        {
            ZipFile.CreateFromDirectory(Artifact, zip, CompressionLevel.Optimal, includeBaseDirectory: false);
        }
        else
        {
            using var archive = ZipFile.Open(zip, ZipArchiveMode.Create);
            archive.CreateEntryFromFile(Artifact, Path.GetFileName(Artifact), CompressionLevel.Optimal);
        }
        var size = new FileInfo(zip).Length / 1e6;
        File.Delete(zip);
        return size;
    }
}
