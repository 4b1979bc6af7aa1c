using System.Diagnostics;

namespace BedrockStream.Benchmark;

/// <summary>Publishes a function project into a temp folder outside the repository (never into content/).</summary>
internal static class Publisher
{
    private static readonly Dictionary<string, string> QuietBuild = new()
    {
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["MSBUILDDISABLENODEREUSE"] = "1",
        ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
    };

    /// <summary>
    /// The template folder is the project with every optional file in it; <c>WithoutSampleTool</c> leaves out what the
    /// default options leave out (Tools/CurrentTime.cs, the --tools sample), so that the default project is measured.
    /// </summary>
    private const string DefaultProject = "-p:WithoutSampleTool=true";

    /// <summary>
    /// What the generated template.yaml sets in the function's environment that the runtime itself reads: an empty
    /// SSL_CERT_DIR, so that .NET loads the root certificates from the bundle file alone, not the same roots again
    /// from the certificate directory, and the garbage collector's generation 0 budget and region size (512 KiB and 1 MiB,
    /// in hexadecimal).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> TemplateEnvironment = new Dictionary<string, string>
    {
        ["SSL_CERT_DIR"] = "",
        ["DOTNET_GCgen0size"] = "80000",
        ["DOTNET_GCRegionSize"] = "100000",
    };

    /// <summary>The template's function of this working tree (its default options), published with <paramref name="extraProperties"/>.</summary>
    public static async Task<Variant> PublishCurrentAsync(string name, string shortName, IReadOnlyList<string> extraProperties, Action<string> log)
    {
        var variant = await PublishAsync(name, shortName, VariantRole.Current, RepoPaths.FunctionProject, Path.Combine(RepoPaths.WorkDirectory, shortName),
            [DefaultProject, .. extraProperties], log);
        return variant with
        {
            Environment = TemplateEnvironment,
            Description = variant.Description + "; with template.yaml's " + string.Join(", ", TemplateEnvironment.Select(e => $"{e.Key}=\"{e.Value}\"")),
        };
    }

    /// <summary>
    /// <c>dotnet publish -r linux-x64 --self-contained</c> of <paramref name="project"/> into <paramref name="root"/>/publish;
    /// its bin/ and obj/ go to <paramref name="root"/>/artifacts, so that two builds of one project never share an obj/ folder.
    /// The folder is kept between runs: a second publish of unchanged sources takes seconds.
    /// </summary>
    public static async Task<Variant> PublishAsync(string name, string shortName, VariantRole role, string project, string root,
        IReadOnlyList<string> extraProperties, Action<string> log)
    {
        var output = Path.Combine(root, "publish");
        if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        string[] args =
        [
            "publish", project, "-c", "Release", "-r", "linux-x64", "--self-contained", "-o", output,
            "--artifacts-path", Path.Combine(root, "artifacts"), "-nologo", "-v", "quiet", .. extraProperties,
        ];
        log($"publishing {name}: dotnet {string.Join(' ', args)}");
        var watch = Stopwatch.StartNew();
        await Command.RunCheckedAsync($"dotnet publish ({name})", "dotnet", args, TimeSpan.FromMinutes(15), environment: QuietBuild);
        log($"published {name} in {watch.Elapsed.TotalSeconds:0} s");
        return new Variant(name, shortName, role, Path.Combine(output, "bootstrap"), [], output, new Dictionary<string, string>(),
            NativeAot: !extraProperties.Contains("-p:PublishAot=false"),
            Description: $"{Shown(project)} published {(extraProperties.Count == 0 ? "with its own settings (Native AOT)" : string.Join(' ', extraProperties))}");
    }

    /// <summary>A project path as the notes show it: relative to the repository, or to the work folder.</summary>
    private static string Shown(string project) =>
        project.StartsWith(RepoPaths.Root, StringComparison.Ordinal)
            ? Path.GetRelativePath(RepoPaths.Root, project)
            : "<work folder>/" + Path.GetRelativePath(RepoPaths.WorkDirectory, project);
}
