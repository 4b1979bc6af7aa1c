using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace BedrockStream.Benchmark;

/// <summary>
/// The Node.js peer (tests/baseline/node): its task root is laid out in the work folder like Lambda's
/// <c>/var/task</c> (index.mjs + node_modules), node_modules installed with <c>npm ci</c> from the committed lock file.
/// <para>
/// aws-lambda-ric 4.0.2 cannot run without its native client (rapid-client.node, loaded unconditionally at
/// start-up), which its install scripts build from the curl and aws-lambda-cpp sources it ships: several minutes
/// on 2 cores, and it needs cmake, make and a C++ compiler. So the install is kept and shared by the working trees
/// of the machine, keyed by the lock file and the Node.js version (the addon's ABI), redone only when either
/// changes, and made in a private folder that is renamed into place when complete (two runs never share a
/// half-made install); <c>.ci/run</c> prepares it ahead of the tests (<c>--prepare</c>).
/// </para>
/// <para>
/// Started the way the package's <c>bin</c> entry (<c>aws-lambda-ric</c> → <c>index.mjs</c>) starts it, with
/// <c>node</c> itself rather than through npx (which AWS's container examples use as ENTRYPOINT, and which would add
/// npm's own start-up to every cold start); the handler comes from <c>_HANDLER</c> and the code from
/// <c>LAMBDA_TASK_ROOT</c>, as the client reads them (it ignores its command line).
/// </para>
/// </summary>
internal static class NodePeer
{
    public const string Name = "Node.js (RIC)";
    private const string Handler = "index.handler";
    private static readonly string[] Sources = ["index.mjs", "package.json", "package-lock.json"];

    /// <summary>The prepared peer, or null (with the reason told to <paramref name="leftOut"/>) where node or npm is not installed.</summary>
    public static async Task<Variant?> PrepareAsync(Action<string> log, Action<string> leftOut)
    {
        var node = await Command.RunAsync("node", ["--version"], TimeSpan.FromSeconds(30));
        var npm = await Command.RunAsync("npm", ["--version"], TimeSpan.FromSeconds(60));
        if (node is not { Succeeded: true } || npm is not { Succeeded: true })
        {
            leftOut("Node.js peer left out: node and npm are not both on PATH (install Node.js 20 or later with npm to measure it)");
            return null;
        }
        var version = node.StdOut.Trim();
        var install = await InstallAsync(version, log);

        // This tree's task root: its own index.mjs, the shared node_modules.
        var taskRoot = Path.Combine(RepoPaths.WorkDirectory, "node-peer");
        Directory.CreateDirectory(taskRoot);
        foreach (var file in Sources) File.Copy(Path.Combine(RepoPaths.NodePeer, file), Path.Combine(taskRoot, file), overwrite: true);
        var modules = Path.Combine(taskRoot, "node_modules");
        var shared = Path.Combine(install, "node_modules");
        var linked = new FileInfo(modules).LinkTarget;
        if (linked is not null && linked != shared) File.Delete(modules); // a link to an older install: unlink removes the link only
        if (linked != shared) Directory.CreateSymbolicLink(modules, shared);

        var client = Path.Combine(modules, "aws-lambda-ric", "index.mjs");
        return new Variant(Name, "Node", VariantRole.Peer, "node", [client], install,
            new Dictionary<string, string> { ["_HANDLER"] = Handler, ["LAMBDA_TASK_ROOT"] = taskRoot },
            "package files + node_modules, without Node.js itself",
            Description: $"tests/baseline/node/index.mjs on Node.js {version}, aws-lambda-ric 4.0.2 (which declares Node.js 22 or later), "
                + "@aws-sdk/client-bedrock-runtime 3.1164.0 over HTTP/1.1 (versions pinned in its package-lock.json)");
    }

    /// <summary>The shared install for this lock file and Node.js version, made now if missing.</summary>
    private static async Task<string> InstallAsync(string nodeVersion, Action<string> log)
    {
        var install = Path.Combine(RepoPaths.SharedWorkDirectory, "node-peer", InstallKey(nodeVersion));
        if (File.Exists(Path.Combine(install, ".installed"))) return install;

        var building = $"{install}.installing-{Environment.ProcessId}";
        if (Directory.Exists(building)) Directory.Delete(building, recursive: true);
        Directory.CreateDirectory(building);
        foreach (var file in Sources) File.Copy(Path.Combine(RepoPaths.NodePeer, file), Path.Combine(building, file));
        log($"installing the Node.js peer (npm ci, Node.js {nodeVersion}) into {install}; the first time this builds the runtime client's native part, several minutes");
        var watch = Stopwatch.StartNew();
        await Command.RunCheckedAsync("npm ci (Node.js peer)", "npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(30), building);
        if (!File.Exists(Path.Combine(building, "node_modules", "aws-lambda-ric", "rapid-client.node")))
            throw new InvalidOperationException("npm ci did not build aws-lambda-ric's native client (rapid-client.node): its install scripts need cmake, make and g++");
        File.WriteAllText(Path.Combine(building, ".installed"), nodeVersion);
        try
        {
            if (Directory.Exists(install)) Directory.Delete(install, recursive: true); // an unfinished install of an older layout
            Directory.Move(building, install);
        }
        catch (IOException) when (File.Exists(Path.Combine(install, ".installed")))
        {
            Directory.Delete(building, recursive: true); // another run finished the same install first
        }
        log($"installed the Node.js peer in {watch.Elapsed.TotalSeconds:0} s");
        return install;
    }

    /// <summary>A short hash of the lock file and the Node.js version: a new key whenever the install would differ.</summary>
    private static string InstallKey(string nodeVersion)
    {
        var lockFile = File.ReadAllBytes(Path.Combine(RepoPaths.NodePeer, "package-lock.json"));
        var hash = SHA256.HashData([.. lockFile, .. Encoding.UTF8.GetBytes(nodeVersion)]);
        return Convert.ToHexStringLower(hash)[..12];
    }
}
