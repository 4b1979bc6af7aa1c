using System.Diagnostics;
using System.IO.Compression;

namespace BedrockStream.Benchmark;

/// <summary>One runtime under test: how to start it, and what it ships.</summary>
internal sealed record Variant(string Name, string FileName, IReadOnlyList<string> Arguments, string ArtifactFolder, bool IsBaseline = false)
{
    /// <summary>The command line for <c>LocalHostOptions.FunctionCommand</c> (quoted, so paths may hold spaces).</summary>
    public string CommandLine => string.Join(' ', new[] { FileName }.Concat(Arguments).Select(a => $"\"{a}\""));

    public ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo(FileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in Arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        return start;
    }

    /// <summary>The deployable folder zipped (what `sam build` uploads for a zip package), in MB.</summary>
    public double ZipMegabytes()
    {
        var zip = Path.Combine(RepoPaths.WorkDirectory, Name + ".zip");
        File.Delete(zip);
        ZipFile.CreateFromDirectory(ArtifactFolder, zip, CompressionLevel.Optimal, includeBaseDirectory: false);
        var size = new FileInfo(zip).Length / 1e6;
        File.Delete(zip);
        return size;
    }
}

/// <summary>Publishes the template's function into a temp folder outside the repository (never into content/).</summary>
internal static class Publisher
{
    public static async Task<Variant> PublishAsync(string name, IReadOnlyList<string> extraProperties, Action<string> log)
    {
        var root = Path.Combine(RepoPaths.WorkDirectory, name);
        var output = Path.Combine(root, "publish");
        if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        string[] args =
        [
            "publish", RepoPaths.FunctionProject, "-c", "Release", "-r", "linux-x64", "--self-contained", "-o", output,
            // bin/ and obj/ of this publish live in the temp folder too: the AOT and ReadyToRun builds of the same
            // RID would otherwise share (and keep invalidating) one obj/ folder inside content/.
            "--artifacts-path", Path.Combine(root, "artifacts"), "-nologo", "-v", "quiet", .. extraProperties,
        ];
        log($"publishing {name}: dotnet {string.Join(' ', args)}");
        var watch = Stopwatch.StartNew();
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet publish");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"dotnet publish ({name}) failed with exit {process.ExitCode}:\n{await stdout}\n{await stderr}");
        log($"published {name} in {watch.Elapsed.TotalSeconds:0} s");
        return new Variant(name, Path.Combine(output, "bootstrap"), [], output);
    }

    /// <summary>The baseline: Python running tests/baseline/bootstrap.py (its artifact: that script alone, without Python or requests).</summary>
    public static Variant Baseline() =>
        new("Python baseline", Prerequisites.Python, [RepoPaths.Baseline], Path.GetDirectoryName(RepoPaths.Baseline)!, IsBaseline: true);
}
