// The core stack's own runtime (Runtime/LambdaBootstrap.cs): its retry count, backoff and exit line are what is
// checked here. With --sdk full, Amazon.Lambda.RuntimeSupport owns that behaviour and this file is left out.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using BedrockStream.Function.Local;

namespace BedrockStream.Function.Tests.Reliability;

/// <summary>
/// The Runtime API failing under the real function process (issue 5, point 1): unreachable at start-up,
/// answering 500 to every <c>/next</c>, or closing the connection on <c>/next</c>. The runtime retries with
/// a growing backoff, then exits non-zero with one clear stderr line naming the Runtime API, instead of
/// spinning or hanging (Lambda then restarts the environment).
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class RuntimeApiFaultTests
{
    /// <summary>LambdaBootstrap's attempts at <c>/next</c> before it gives up.</summary>
    private const int NextAttempts = 5;

    /// <summary>Start-up plus 4 backoffs (at most 50 + 100 + 200 + 400 ms): seconds, never more.</summary>
    private static readonly TimeSpan ExitBound = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Unreachable_runtime_api_at_start_up_exits_non_zero_with_a_clear_line()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop(); // nothing listens there any more: connections are refused

        var run = await RunFunctionAsync($"127.0.0.1:{port}");

        Assert.True(run.ExitCode != 0, "the function exited 0 without a Runtime API" + run.Output);
        Assert.True(run.Elapsed < ExitBound, $"the function took {run.Elapsed.TotalSeconds:0.0} s to give up" + run.Output);
        AssertClearFinalLine(run, port);
        // It retried (bounded) rather than giving up on the first refusal.
        Assert.Equal(NextAttempts - 1, run.Stderr.Count(l => l.Contains("/runtime/invocation/next failed", StringComparison.Ordinal) && l.Contains("retry", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(NextFault.Http500, "HTTP 500")]
    [InlineData(NextFault.CloseConnection, "")]
    public async Task A_failing_next_is_retried_with_backoff_then_the_process_exits_non_zero_with_a_clear_line(NextFault fault, string lastError)
    {
        await using var api = FailingRuntimeApi.Start(fault);

        var run = await RunFunctionAsync($"127.0.0.1:{api.Port}");

        Assert.True(run.ExitCode != 0, $"the function exited 0 after /next failed ({fault})" + run.Output);
        Assert.True(run.Elapsed < ExitBound, $"the function took {run.Elapsed.TotalSeconds:0.0} s to give up" + run.Output);
        AssertClearFinalLine(run, api.Port);
        if (lastError.Length > 0) Assert.Contains(lastError, run.Stderr[^1], StringComparison.Ordinal);

        // Exactly the bounded number of attempts, all at /next ...
        var requests = api.Requests;
        Assert.Equal(NextAttempts, requests.Count);
        Assert.All(requests, r => Assert.StartsWith("GET /2018-06-01/runtime/invocation/next HTTP/1.1", r.RequestLine, StringComparison.Ordinal));
        // ... spaced by a doubling, jittered backoff (50-100 % of 50, 100, 200, 400 ms): not a hot loop.
        var gaps = requests.Zip(requests.Skip(1), (a, b) => Stopwatch.GetElapsedTime(a.At, b.At).TotalMilliseconds).ToList();
        Assert.True(gaps[^1] > gaps[0], $"the backoff did not grow: gaps {string.Join(", ", gaps.Select(g => g.ToString("0")))} ms");
        Assert.True(gaps[^1] >= 190, $"the last backoff was {gaps[^1]:0} ms, expected at least 200 ms (jittered)");
        Assert.True(gaps.Sum() >= 350, $"all retries took {gaps.Sum():0} ms, expected at least 375 ms (jittered)");
    }

    public enum NextFault
    {
        Http500,
        CloseConnection,
    }

    private static void AssertClearFinalLine(FunctionRun run, int port)
    {
        Assert.NotEmpty(run.Stderr);
        var last = run.Stderr[^1];
        Assert.Contains("Runtime API", last, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", last, StringComparison.Ordinal);
        Assert.Contains("/runtime/invocation/next", last, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", last, StringComparison.Ordinal);   // a sentence, not a stack trace
        Assert.DoesNotContain(run.Stderr, l => l.Contains("Unhandled exception", StringComparison.Ordinal));
    }

    private sealed record FunctionRun(int ExitCode, TimeSpan Elapsed, IReadOnlyList<string> Stderr, IReadOnlyList<string> Stdout)
    {
        public string Output => Environment.NewLine + "stderr:" + Environment.NewLine + string.Join(Environment.NewLine, Stderr)
            + Environment.NewLine + "stdout:" + Environment.NewLine + string.Join(Environment.NewLine, Stdout);
    }

    /// <summary>Starts the function this project built (or <c>E2E_FUNCTION_COMMAND</c>) against <paramref name="runtimeApi"/> and waits for it to exit.</summary>
    private static async Task<FunctionRun> RunFunctionAsync(string runtimeApi)
    {
        var command = TestFunction.Command ?? FunctionLocator.DefaultCommand();
        var (fileName, arguments) = SplitCommand(command);
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("AWS_", StringComparison.Ordinal)).ToList()) info.Environment.Remove(key);
        info.Environment["AWS_LAMBDA_RUNTIME_API"] = runtimeApi;
        info.Environment["MODEL_ID"] = LocalHost.DefaultModelId;
        info.Environment["AWS_REGION"] = "us-east-1";
        info.Environment["AWS_ACCESS_KEY_ID"] = "AKIDRUNTIMEAPITEST01";
        info.Environment["AWS_SECRET_ACCESS_KEY"] = "runtimeApiTestSecretKey/neverUsed000000000";
        info.Environment["AWS_EC2_METADATA_DISABLED"] = "true";
        info.Environment["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = "http://127.0.0.1:9"; // never called: no invocation arrives

        var stderr = new ConcurrentQueue<string>();
        var stdout = new ConcurrentQueue<string>();
        using var process = new Process { StartInfo = info };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) stderr.Enqueue(e.Data); };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) stdout.Enqueue(e.Data); };
        var started = Stopwatch.GetTimestamp();
        process.Start();
        try
        {
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            process.StandardInput.Close();
            using var cts = new CancellationTokenSource(ExitBound * 2);
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"the function was still running {(ExitBound * 2).TotalSeconds:0} s after start" + new FunctionRun(-1, default, stderr.ToArray(), stdout.ToArray()).Output);
            }
            var elapsed = Stopwatch.GetElapsedTime(started);
            process.WaitForExit(); // the redirected output is complete
            return new FunctionRun(process.ExitCode, elapsed, stderr.ToArray(), stdout.ToArray());
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>Splits a command line at spaces outside double quotes (the form <see cref="FunctionLocator.DefaultCommand"/> returns).</summary>
    private static (string FileName, List<string> Arguments) SplitCommand(string command)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        foreach (var ch in command)
        {
            if (ch == '"') quoted = !quoted;
            else if (ch == ' ' && !quoted)
            {
                if (current.Length > 0) parts.Add(current.ToString());
                current.Clear();
            }
            else current.Append(ch);
        }
        if (current.Length > 0) parts.Add(current.ToString());
        return (parts[0], parts.Skip(1).ToList());
    }

    /// <summary>A Runtime API that fails every request: 500 (keeping the connection), or closing the connection unanswered.</summary>
    private sealed class FailingRuntimeApi : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly NextFault _fault;
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentQueue<(long At, string RequestLine)> _requests = new();
        private readonly ConcurrentBag<Task> _connections = new();
        private Task _accepting = Task.CompletedTask;

        private FailingRuntimeApi(NextFault fault) => _fault = fault;

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public IReadOnlyList<(long At, string RequestLine)> Requests => _requests.ToArray();

        public static FailingRuntimeApi Start(NextFault fault)
        {
            var api = new FailingRuntimeApi(fault);
            api._listener.Start();
            api._accepting = api.AcceptAsync();
            return api;
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    _connections.Add(ServeAsync(client));
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using (client)
            {
                var stream = client.GetStream();
                var buffer = new byte[8192];
                var pending = new StringBuilder();
                try
                {
                    while (true)
                    {
                        var n = await stream.ReadAsync(buffer, _stop.Token);
                        if (n == 0) return;
                        pending.Append(Encoding.ASCII.GetString(buffer, 0, n));
                        int end;
                        while ((end = pending.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
                        {
                            var head = pending.ToString(0, end);
                            pending.Remove(0, end + 4);
                            _requests.Enqueue((Stopwatch.GetTimestamp(), head.Split("\r\n")[0]));
                            if (_fault == NextFault.CloseConnection) return;
                            var body = "{\"errorMessage\":\"injected\",\"errorType\":\"ServiceException\"}";
                            var response = $"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}";
                            await stream.WriteAsync(Encoding.ASCII.GetBytes(response), _stop.Token);
                        }
                    }
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
                {
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            await _accepting;
            await Task.WhenAll(_connections);
            _stop.Dispose();
        }
    }
}
