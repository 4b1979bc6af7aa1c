namespace BedrockStream.Function.Local;

/// <summary>
/// Finds the function to run when no <c>--function-command</c> is given: the <c>bootstrap.dll</c> next to
/// the caller (a test project references the function, so its output holds one), else the build output of
/// <c>src/BedrockStream.Function</c>, found by walking up from the host's own output folder (the host's
/// ProjectReference builds it with the same configuration and target framework).
/// </summary>
public static class FunctionLocator
{
    private const string FunctionProject = "BedrockStream.Function";
    private const string Assembly = "bootstrap.dll";

    public static string DefaultCommand()
    {
        var dll = FindBootstrapDll() ?? throw new FileNotFoundException(
            $"Could not find the function's {Assembly}. Build it (dotnet build src/{FunctionProject}) or pass --function-command \"<command line>\".");
        return $"{DotnetHost()} \"{dll}\"";
    }

    public static string? FindBootstrapDll()
    {
        var baseDir = AppContext.BaseDirectory;
        var beside = Path.Combine(baseDir, Assembly);
        if (File.Exists(beside)) return beside;

        // <root>/local/<Host>/bin/<Configuration>/<tfm>/ -> <root>/src/<Function>/bin/<Configuration>/<tfm>/bootstrap.dll
        var outputDir = new DirectoryInfo(baseDir.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = outputDir.Name;
        var configuration = outputDir.Parent?.Name ?? "Debug";
        for (var dir = outputDir.Parent; dir is not null; dir = dir.Parent)
        {
            var project = Path.Combine(dir.FullName, "src", FunctionProject);
            if (!Directory.Exists(project)) continue;
            var exact = Path.Combine(project, "bin", configuration, tfm, Assembly);
            if (File.Exists(exact)) return exact;
            // Otherwise the most recent build of any configuration / framework.
            var bin = Path.Combine(project, "bin");
            return Directory.Exists(bin)
                ? Directory.EnumerateFiles(bin, Assembly, SearchOption.AllDirectories)
                    .Where(f => !f.Contains(Path.DirectorySeparatorChar + "publish" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                    .OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault()
                : null;
        }
        return null;
    }

    /// <summary>
    /// <c>LAMBDA_TASK_ROOT</c>, the folder of the function's code, for a command line. Lambda runs a custom runtime's
    /// <c>bootstrap</c> from that folder, so: the folder of the first word of the command that names an existing
    /// <c>bootstrap</c> (or the <c>bootstrap.dll</c> dotnet runs). Otherwise the working directory: the folder a runtime
    /// client started from the function's folder (<c>npx aws-lambda-ric</c>, <c>python -m awslambdaric</c>) loads
    /// <c>index.handler</c> from.
    /// </summary>
    public static string TaskRoot(string command)
    {
        var (fileName, arguments) = CommandLine.SplitCommand(command);
        foreach (var word in arguments.Prepend(fileName))
            if (Path.GetFileName(word) is "bootstrap" or Assembly && File.Exists(word))
                return Path.GetDirectoryName(Path.GetFullPath(word))!;
        return Directory.GetCurrentDirectory();
    }

    /// <summary>The <c>dotnet</c> executable that runs this host (the SDK sets DOTNET_HOST_PATH), else the one on PATH.</summary>
    public static string DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk)) return Quote(fromSdk);
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) return Quote(self);
        return "dotnet";
    }

    private static string Quote(string path) => path.Contains(' ') ? $"\"{path}\"" : path;
}
