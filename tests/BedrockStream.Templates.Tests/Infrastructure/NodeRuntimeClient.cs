using System.Security.Cryptography;
using System.Text;

namespace BedrockStream.Templates.Tests.Infrastructure;

/// <summary>
/// AWS's Node.js runtime interface client, the npm package <c>aws-lambda-ric</c>, from the install of the benchmark's
/// Node.js peer (<c>tests/baseline/node</c>, pinned by its <c>package-lock.json</c>). Its install scripts compile the
/// native Runtime API client it cannot start without (curl and aws-lambda-cpp, with cmake, make and a C++ compiler:
/// minutes on 2 cores), so there is one install per machine, in the folder and under the key the benchmark uses
/// (<c>NodePeer</c>: the lock file and the node version), which <c>.ci/run</c> prepares before the tests; this test
/// makes it the same way when it is missing.
/// </summary>
public static class NodeRuntimeClient
{
    /// <summary>The test's Node.js function: <c>index.js</c>.</summary>
    public static string FunctionSource => Path.Combine(RepoPaths.Root, "tests", "BedrockStream.Templates.Tests", "NodeFunction");

    private static string Packages => Path.Combine(RepoPaths.Root, "tests", "baseline", "node");

    /// <summary>Installs the client (or finds it installed) and returns the script that starts it.</summary>
    public static async Task<string> InstallAsync(string node, string npm) =>
        Entry(await InstallLockedAsync(node, npm, Packages, Path.Combine(Path.GetTempPath(), "bedrock-stream-benchmark", "node-peer"), (staging, output) =>
            Assert.True(File.Exists(NativeClient(staging)),
                "npm ci did not build aws-lambda-ric's native client (rapid-client.node), without which it does not start. Its install " +
                "scripts need cmake, make and a C++ compiler (bash .ci/run installs them).\n" + output)));

    /// <summary>
    /// The packages that <paramref name="packages"/>' <c>package-lock.json</c> pins, installed with <c>npm ci</c> once per
    /// machine into a folder of <paramref name="cacheRoot"/> keyed by the lock file and the node version; returns that folder.
    /// <paramref name="verify"/> checks a fresh install (its folder and npm's output) before it is moved into place.
    /// </summary>
    public static async Task<string> InstallLockedAsync(string node, string npm, string packages, string cacheRoot, Action<string, string>? verify = null)
    {
        var nodeVersion = (await ProcessRunner.RunAsync(node, ["--version"], packages, TimeSpan.FromSeconds(30))).EnsureSuccess().StdOut.Trim();
        var lockFile = await File.ReadAllBytesAsync(Path.Combine(packages, "package-lock.json"));
        var key = Convert.ToHexStringLower(SHA256.HashData([.. lockFile, .. Encoding.UTF8.GetBytes(nodeVersion)]))[..12];
        var folder = Path.Combine(cacheRoot, key);
        if (File.Exists(Path.Combine(folder, ".installed"))) return folder;

        // Installed beside, then moved into place whole: a run that stops half-way leaves no half-built install.
        var staging = $"{folder}.installing-{Environment.ProcessId}";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        foreach (var file in new[] { "package.json", "package-lock.json" })
            File.Copy(Path.Combine(packages, file), Path.Combine(staging, file));
        var install = (await ProcessRunner.RunAsync(npm, ["ci", "--no-audit", "--no-fund"], staging, TimeSpan.FromMinutes(20))).EnsureSuccess();
        verify?.Invoke(staging, install.Output);
        await File.WriteAllTextAsync(Path.Combine(staging, ".installed"), nodeVersion);
        try
        {
            Directory.Move(staging, folder);
        }
        catch (IOException) when (File.Exists(Path.Combine(folder, ".installed")))
        {
            Directory.Delete(staging, recursive: true);   // another run installed it meanwhile
        }
        return folder;
    }

    /// <summary>The absolute path of <paramref name="name"/> on PATH, or null.</summary>
    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    private static string Entry(string folder) => Path.Combine(folder, "node_modules", "aws-lambda-ric", "index.mjs");

    private static string NativeClient(string folder) => Path.Combine(folder, "node_modules", "aws-lambda-ric", "rapid-client.node");
}
