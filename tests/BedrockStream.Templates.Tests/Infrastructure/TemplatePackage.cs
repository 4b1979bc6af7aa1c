namespace BedrockStream.Templates.Tests.Infrastructure;

/// <summary>
/// The template pack, packed from this checkout and installed into an isolated template hive
/// (<c>--debug:custom-hive</c>) once per test run. Every <c>dotnet new</c> of the tests goes through it.
/// </summary>
public sealed class TemplatePackage
{
    public const string ShortName = "bedrock-stream";

    public const string ToolShortName = "bedrock-tool";

    private static readonly Lazy<Task<TemplatePackage>> SharedInstance = new(CreateAsync);

    // The engine keeps a cache in the hive: one dotnet new at a time.
    private readonly SemaphoreSlim _hiveLock = new(1, 1);
    private int _outputCounter;

    private TemplatePackage(string workRoot, string packagePath)
    {
        WorkRoot = workRoot;
        PackagePath = packagePath;
    }

    /// <summary>The installed pack, shared by every test class.</summary>
    public static Task<TemplatePackage> Shared => SharedInstance.Value;

    /// <summary>A temp folder holding the package, the hive and every generated project.</summary>
    public string WorkRoot { get; }

    public string PackagePath { get; }

    public string Hive => Path.Combine(WorkRoot, "hive");

    private static async Task<TemplatePackage> CreateAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), "bedrock-stream-tests-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(root);

        var packageDir = Path.Combine(root, "package");
        (await Dotnet.RunAsync(["pack", RepoPaths.PackProject, "-c", "Release", "-o", packageDir], RepoPaths.Root, TimeSpan.FromMinutes(3)))
            .EnsureSuccess();
        var package = Directory.GetFiles(packageDir, "*.nupkg").Single();

        var pack = new TemplatePackage(root, package);
        (await Dotnet.RunAsync(["new", "install", package, "--debug:custom-hive", pack.Hive], root, TimeSpan.FromMinutes(2)))
            .EnsureSuccess();
        return pack;
    }

    /// <summary>Runs <c>dotnet new bedrock-stream</c> with <paramref name="arguments"/> in the isolated hive.</summary>
    public Task<CommandResult> NewAsync(string workingDirectory, params string[] arguments) =>
        RunTemplateAsync(ShortName, workingDirectory, arguments);

    /// <summary>Runs the item template <c>dotnet new bedrock-tool</c> with <paramref name="arguments"/> in the isolated hive.</summary>
    public Task<CommandResult> NewToolAsync(string workingDirectory, params string[] arguments) =>
        RunTemplateAsync(ToolShortName, workingDirectory, arguments);

    private async Task<CommandResult> RunTemplateAsync(string shortName, string workingDirectory, string[] arguments)
    {
        await _hiveLock.WaitAsync();
        try
        {
            Directory.CreateDirectory(workingDirectory);
            return await Dotnet.RunAsync(
                ["new", shortName, .. arguments, "--debug:custom-hive", Hive, "--no-update-check"],
                workingDirectory,
                TimeSpan.FromMinutes(2));
        }
        finally
        {
            _hiveLock.Release();
        }
    }

    /// <summary>Creates a project named <paramref name="name"/> in a fresh folder and returns that folder.</summary>
    public async Task<string> CreateAsync(string name, params string[] options)
    {
        var output = Path.Combine(WorkRoot, "out", $"{Interlocked.Increment(ref _outputCounter):D3}", name);
        (await NewAsync(WorkRoot, ["-n", name, "-o", output, "--skip-restore", .. options])).EnsureSuccess();
        return output;
    }

    /// <summary>A fresh empty folder under the work root.</summary>
    public string NewFolder(string label)
    {
        var path = Path.Combine(WorkRoot, "scratch", $"{Interlocked.Increment(ref _outputCounter):D3}-{label}");
        Directory.CreateDirectory(path);
        return path;
    }

    private static void TryDelete(string path)
    {
        try { Directory.Delete(path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>The dotnet CLI.</summary>
public static class Dotnet
{
    public static Task<CommandResult> RunAsync(
        IEnumerable<string> arguments,
        string workingDirectory,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null)
        => ProcessRunner.RunAsync("dotnet", arguments, workingDirectory, timeout, environment);
}
