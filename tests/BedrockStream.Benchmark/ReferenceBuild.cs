using System.Formats.Tar;

namespace BedrockStream.Benchmark;

/// <summary>
/// The template's function as of an earlier commit (by default befb48b), built from the repository's history in
/// the work folder, so that later changes to the function are measured against it in the same run, on the same
/// machine, under the same load: <c>git archive &lt;commit&gt; content/bedrock-stream</c>, extracted once per
/// commit, then published with Native AOT like the current function.
/// </summary>
internal static class ReferenceBuild
{
    /// <summary>The published reference, or null (with the reason told to <paramref name="leftOut"/>) where the commit is not in this clone.</summary>
    public static async Task<Variant?> PrepareAsync(string commit, Action<string> log, Action<string> leftOut)
    {
        var resolved = await Command.RunAsync("git", ["-C", RepoPaths.Root, "rev-parse", "--verify", "--quiet", commit + "^{commit}"], TimeSpan.FromSeconds(30));
        if (resolved is not { Succeeded: true })
        {
            leftOut($"reference build left out: commit {commit} is not in this clone ({(resolved is null ? "git is not installed" : "a shallow clone? fetch the history")})");
            return null;
        }
        var sha = resolved.StdOut.Trim();
        var shortSha = sha[..7];
        var root = Path.Combine(RepoPaths.WorkDirectory, "ref-" + shortSha);
        var tree = Path.Combine(root, "tree");
        var extracted = Path.Combine(root, ".extracted");
        if (!File.Exists(extracted))
        {
            if (Directory.Exists(tree)) Directory.Delete(tree, recursive: true);
            Directory.CreateDirectory(tree);
            var archive = Path.Combine(root, "template.tar");
            await Command.RunCheckedAsync($"git archive {shortSha}", "git",
                ["-C", RepoPaths.Root, "archive", "--format=tar", "-o", archive, sha, "content/bedrock-stream"], TimeSpan.FromMinutes(2));
            await TarFile.ExtractToDirectoryAsync(archive, tree, overwriteFiles: true);
            File.Delete(archive);
            File.WriteAllText(extracted, sha);
        }
        var project = Path.Combine([tree, .. RepoPaths.FunctionProjectInTemplate]);
        if (!File.Exists(project))
        {
            leftOut($"reference build left out: commit {shortSha} has no {string.Join('/', RepoPaths.FunctionProjectInTemplate)}");
            return null;
        }
        // The default project, as for the current function: the --tools sample (where the commit has one) stays out.
        var sampleTool = Path.Combine(Path.GetDirectoryName(project)!, "Tools", "CurrentTime.cs");
        if (File.Exists(sampleTool)) File.Delete(sampleTool);
        return await Publisher.PublishAsync($"AOT @{shortSha}", shortSha, VariantRole.Reference, project, root, [], log);
    }
}
