using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace BedrockStream.Templates.Tests.Infrastructure;

/// <summary>
/// A generated project's local host (<c>local/&lt;Name&gt;.Local</c>) started as its own process, the way a user
/// starts it, on a free port, with the fake model. Stopped (with its function child) on dispose.
/// </summary>
public sealed partial class LocalHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private LocalHostProcess(Process process) => _process = process;

    /// <summary>The Function URL front, as the host printed it.</summary>
    public Uri FunctionUrl { get; private set; } = null!;

    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>
    /// Starts the built host of <paramref name="project"/> and waits until it prints its URLs. It runs in the project's
    /// folder unless <paramref name="workingDirectory"/> says otherwise (the function's folder, for another runtime).
    /// </summary>
    public static async Task<LocalHostProcess> StartAsync(
        GeneratedProject project,
        string framework,
        IEnumerable<string> hostArguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null)
    {
        var hostDll = Path.Combine(project.Directory, "local", project.Name + ".Local", "bin", "Debug", framework, project.Name + ".Local.dll");
        Assert.True(File.Exists(hostDll), "the local host is not built: " + hostDll);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory ?? project.Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(hostDll);
        start.ArgumentList.Add("--port");
        start.ArgumentList.Add("0");
        start.ArgumentList.Add("--fake-model");
        foreach (var argument in hostArguments) start.ArgumentList.Add(argument);
        // The host must pick the fake model by itself: no credentials leak in from the machine.
        foreach (var name in new[] { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE" })
            start.Environment.Remove(name);
        if (environment is not null)
            foreach (var (key, value) in environment) start.Environment[key] = value;

        var process = Process.Start(start)!;
        var ready = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var host = new LocalHostProcess(process);
        void OnLine(string? line)
        {
            if (line is null) return;
            lock (host._output) host._output.AppendLine(line);
            var match = FunctionUrlLine().Match(line);
            if (match.Success) ready.TrySetResult(new Uri(match.Groups[1].Value));
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("the local host exited early:\n" + host.Output));
        process.EnableRaisingEvents = true;

        try
        {
            host.FunctionUrl = await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"(?:Function URL|REST API|CloudFront)\s+(http://127\.0\.0\.1:\d+/?)")]
    private static partial Regex FunctionUrlLine();
}
