namespace BedrockStream.Benchmark;

/// <summary>
/// Prepares every variant of a run, in the order of the table's columns: the template's function now (Native AOT,
/// ReadyToRun), the same at the reference commit, then the peers (Python, Node.js). A reference or a Node peer
/// that cannot be had here is left out with its reason, which the results repeat.
/// </summary>
internal static class VariantLineup
{
    public static async Task<(IReadOnlyList<Variant> Variants, IReadOnlyList<string> LeftOut)> PrepareAsync(BenchmarkSettings settings, Action<string> log)
    {
        var leftOut = new List<string>();
        void Note(string line)
        {
            leftOut.Add(line);
            log(line);
        }

        var variants = new List<Variant> { await Publisher.PublishCurrentAsync("AOT", "AOT", [], log) };
        if (settings.IncludeReadyToRun)
            variants.Add(await Publisher.PublishCurrentAsync("ReadyToRun", "R2R", ["-p:PublishAot=false", "-p:PublishReadyToRun=true"], log));
        else
            Note("ReadyToRun left out (--quick or --no-r2r)");
        foreach (var commit in settings.ReferenceCommits)
            if (await ReferenceBuild.PrepareAsync(commit, log, Note) is { } reference) variants.Add(reference);
        if (settings.ReferenceCommits.Count == 0) Note("reference build left out (--no-reference)");
        if (!settings.IncludePeers)
        {
            Note("Python and Node.js peers left out (--no-peers)");
            return (variants, leftOut);
        }
        variants.Add(await PythonPeer.PrepareAsync());
        if (await NodePeer.PrepareAsync(log, Note) is { } node) variants.Add(node);
        return (variants, leftOut);
    }
}
