namespace BedrockStream.Benchmark;

/// <summary>
/// The Python peer: tests/baseline/bootstrap.py, the blog recipe's runtime. It needs a Python 3 with requests:
/// <c>python3</c> on PATH, else the system's <c>/usr/bin/python3</c> (where .ci/run installs Debian's
/// python3-requests when neither has it). Its artifact is the script alone, without Python or requests.
/// </summary>
internal static class PythonPeer
{
    public const string Name = "Python (recipe)";
    private static readonly string[] Candidates = ["python3", "/usr/bin/python3"];

    public static async Task<Variant> PrepareAsync()
    {
        var errors = new List<string>();
        foreach (var python in Candidates)
        {
            var check = await Command.RunAsync(python, ["-c", "import platform, requests; print(platform.python_version(), requests.__version__)"], TimeSpan.FromSeconds(60));
            if (check is { Succeeded: true })
            {
                var versions = check.StdOut.Trim().Split(' ');
                return new Variant(Name, "Python", VariantRole.Peer, python, [RepoPaths.Baseline], RepoPaths.Baseline,
                    new Dictionary<string, string>(), "the script alone, without Python and requests",
                    Description: $"tests/baseline/bootstrap.py on Python {versions[0]} with requests {versions.ElementAtOrDefault(1)}");
            }
            errors.Add($"{python}: {(check is null ? "not installed" : check.StdErr.Trim())}");
        }
        throw new InvalidOperationException("the baseline needs python3 with requests (apt-get install python3-requests): " + string.Join("; ", errors));
    }
}
