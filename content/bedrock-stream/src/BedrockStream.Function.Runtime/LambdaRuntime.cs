using System.Runtime.InteropServices;
using System.Text;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// The process of a Lambda custom runtime (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html):
/// initialize once, then serve invocations one at a time until Lambda shuts the environment down.
/// </summary>
public static class LambdaRuntime
{
    /// <summary>
    /// Standard output as CloudWatch Logs reads it: UTF-8, every write flushed at once, safe to share between threads.
    /// Write whole lines (one write per line) so that a line is never split between two log events. (Not
    /// <see cref="Console.Out"/>, which Amazon.Lambda.RuntimeSupport reformats in the <c>--sdk full</c> variant.)
    /// </summary>
    public static TextWriter Output { get; } =
        TextWriter.Synchronized(new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true });

    /// <summary>
    /// Runs the runtime: calls <paramref name="initialize"/> once (a failure is reported on <c>/runtime/init/error</c>,
    /// as <c>Runtime.ConfigInvalid</c> for a <see cref="ConfigurationException"/>, and the process exits), then passes
    /// every invocation to the handler it returned. Returns the process exit code: 0 after SIGTERM, 1 when start-up
    /// failed, 2 when the Runtime API stayed unreachable.
    /// </summary>
    public static async Task<int> RunAsync(Func<InvocationHandler> initialize)
    {
        ArgumentNullException.ThrowIfNull(initialize);
        if (Environment.GetEnvironmentVariable(RuntimeApiClient.RuntimeApiVariable) is null or "")
        {
            Console.Error.WriteLine($"{RuntimeApiClient.RuntimeApiVariable} is not set: run this function in Lambda or under the local host (local/).");
            return 1;
        }

        // SIGTERM: Lambda is shutting the environment down; stop polling and exit cleanly.
        using var shutdown = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            shutdown.Cancel();
        });
        using RuntimeApiClient runtime = RuntimeApiClient.FromEnvironment();

        InvocationHandler handler;
        try
        {
            handler = initialize();
        }
        catch (Exception e)
        {
            string errorType = e is ConfigurationException ? "Runtime.ConfigInvalid" : "Runtime.InitError";
            Console.Error.WriteLine($"Start-up failed ({errorType}): {e.Message}");
            await runtime.PostInitErrorAsync(errorType, e.Message).ConfigureAwait(false); // Lambda reports it to the first caller
            return 1;
        }

        try
        {
            await new LambdaBootstrap(runtime, handler).RunAsync(shutdown.Token).ConfigureAwait(false);
            return 0;
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"The Lambda Runtime API at {runtime.HostAndPort} failed: {e.GetType().Name}: {e.Message}");
            return 2;
        }
    }
}
