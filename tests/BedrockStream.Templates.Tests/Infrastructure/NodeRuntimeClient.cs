using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace BedrockStream.Templates.Tests.Infrastructure;

/// <summary>
/// AWS's Node.js runtime interface client, the npm package <c>aws-lambda-ric</c> pinned by <c>NodeFunction/package-lock.json</c>.
/// Its install scripts compile the native Runtime API client it cannot start without (curl and aws-lambda-cpp, with
/// cmake, make and a C++ compiler: minutes on 2 cores), so it is installed once per machine, in a temp folder keyed by
/// the lock file, the node version and the architecture, and reused by later runs.
/// </summary>
public static class NodeRuntimeClient
{
    /// <summary>The test's Node.js function: <c>index.js</c>, <c>package.json</c>, <c>package-lock.json</c>.</summary>
    public static string FunctionSource => Path.Combine(RepoPaths.Root, "tests", "BedrockStream.Templates.Tests", "NodeFunction");

    /// <summary>Installs the client (or finds it installed) and returns the script that starts it.</summary>
    public static async Task<string> InstallAsync(string node, string npm)
    {
        var nodeVersion = (await ProcessRunner.RunAsync(node, ["--version"], FunctionSource, TimeSpan.FromSeconds(30))).EnsureSuccess().StdOut.Trim();
        var lockFile = await File.ReadAllTextAsync(Path.Combine(FunctionSource, "package-lock.json"));
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{lockFile}\n{nodeVersion}\n{RuntimeInformation.OSArchitecture}")))[..16].ToLowerInvariant();
        var folder = Path.Combine(Path.GetTempPath(), "bedrock-stream-tests-cache", "aws-lambda-ric-" + key);
        if (File.Exists(NativeClient(folder))) return Entry(folder);

        // Installed beside, then moved into place whole: a run that stops half-way leaves no half-built cache.
        var staging = $"{folder}.staging-{Guid.NewGuid():N}";
        Directory.CreateDirectory(staging);
        foreach (var file in new[] { "package.json", "package-lock.json" })
            File.Copy(Path.Combine(FunctionSource, file), Path.Combine(staging, file));
        var install = (await ProcessRunner.RunAsync(npm, ["ci", "--no-audit", "--no-fund"], staging, TimeSpan.FromMinutes(20))).EnsureSuccess();
        Assert.True(File.Exists(NativeClient(staging)),
            "npm ci did not build aws-lambda-ric's native client (rapid-client.node), without which it does not start. Its install " +
            "scripts need cmake, make and a C++ compiler (bash .ci/run installs them).\n" + install.Output);
        try
        {
            Directory.Move(staging, folder);
        }
        catch (IOException) when (File.Exists(NativeClient(folder)))
        {
            Directory.Delete(staging, recursive: true);   // another run installed it meanwhile
        }
        return Entry(folder);
    }

    /// <summary>The absolute path of <paramref name="name"/> on PATH, or null.</summary>
    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    private static string Entry(string folder) => Path.Combine(folder, "node_modules", "aws-lambda-ric", "index.mjs");

    private static string NativeClient(string folder) => Path.Combine(folder, "node_modules", "aws-lambda-ric", "rapid-client.node");
}
