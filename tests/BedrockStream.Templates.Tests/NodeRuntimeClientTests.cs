using BedrockStream.Templates.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BedrockStream.Templates.Tests;

/// <summary>
/// The generated local host runs a function of another runtime given only its handler name: AWS's own Node.js
/// runtime interface client, with a response-streaming handler, streams through the host chunk by chunk.
/// </summary>
[Collection(BuildCollection.Name)]
public class NodeRuntimeClientTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Awss_node_runtime_client_streams_a_handler_through_the_local_host()
    {
        var node = NodeRuntimeClient.FindOnPath("node");
        var npm = NodeRuntimeClient.FindOnPath("npm");
        if (node is null || npm is null)
        {
            // No dynamic skip in xunit v2: say so in the test's output rather than pass in silence.
            output.WriteLine("SKIPPED: node and npm are not on PATH, so AWS's Node.js runtime interface client cannot run here.");
            return;
        }
        var ric = await NodeRuntimeClient.InstallAsync(node, npm);

        var pack = await TemplatePackage.Shared;
        var project = new GeneratedProject(await pack.CreateAsync("NodeRic", "--tests", "false", "--ci", "none"), "NodeRic");
        (await Dotnet.RunAsync(["build", "local/NodeRic.Local/NodeRic.Local.csproj"], project.Directory, TimeSpan.FromMinutes(6))).EnsureSuccess();
        // The function's folder holds only its code; the runtime client, like Lambda's, lives elsewhere and loads
        // index.handler from LAMBDA_TASK_ROOT, which is the folder the host runs in.
        var functionFolder = pack.NewFolder("node-function");
        File.Copy(Path.Combine(NodeRuntimeClient.FunctionSource, "index.js"), Path.Combine(functionFolder, "index.js"));

        await using var host = await LocalHostProcess.StartAsync(project, "net10.0",
            ["--function-command", $"\"{node}\" \"{ric}\"", "--handler", "index.handler"], workingDirectory: functionFolder);
        // The handler writes chunk n+1 only after this client has read chunk n (it waits for read-n in its folder).
        var response = await StreamingProbe.PostAsync(host.FunctionUrl, "Hello", TimeSpan.FromSeconds(90), body =>
        {
            for (var n = 1; n <= 5; n++)
                if (body.Contains($"chunk {n} of 5\n", StringComparison.Ordinal)) File.WriteAllText(Path.Combine(functionFolder, $"read-{n}"), "");
        });

        Assert.True(response.Status == 200, $"status {response.Status}: {response.Body}\n{host.Output}");
        Assert.StartsWith("text/plain", response.ContentType);
        Assert.Equal("aws-lambda-ric", response.Headers.GetValueOrDefault("X-Streamed-By"));
        var lines = Enumerable.Range(1, 5).Select(i => $"POST chunk {i} of 5\n").ToList();
        Assert.True(string.Concat(lines) == response.Body, "body: " + response.Body + "\n" + host.Output);
        // Streamed, not buffered: the body is whole only if every chunk reached this client before the handler wrote the
        // next (a buffering host leaves the handler waiting and the body says so), and each chunk was a read of its own.
        var readOf = lines.Select(line => response.Reads.ToList().FindIndex(r => r.Text.Contains(line, StringComparison.Ordinal))).ToList();
        Assert.True(readOf.All(i => i >= 0) && readOf.Distinct().Count() == lines.Count,
            "chunks shared a read: " + string.Join(" | ", response.Reads.Select(r => $"{r.At.TotalMilliseconds:0} ms {r.Text.Trim()}")));
    }
}
