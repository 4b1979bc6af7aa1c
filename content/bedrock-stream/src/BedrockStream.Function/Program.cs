// Composition root: read the configuration, build the clients, run the invocation loop.
using System.Runtime.InteropServices;
using System.Text;
using BedrockStream.Function;
using BedrockStream.Function.Bedrock;
using BedrockStream.Function.Runtime;

if (Environment.GetEnvironmentVariable(RuntimeApiClient.RuntimeApiVariable) is null or "")
{
    Console.Error.WriteLine($"{RuntimeApiClient.RuntimeApiVariable} is not set: run this function in Lambda or under the local host (local/).");
    return 1;
}

using var shutdown = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; shutdown.Cancel(); });
using var runtime = RuntimeApiClient.FromEnvironment();

// One JSON log line per invocation on stdout (CloudWatch Logs), flushed as it is written.
var stdout = TextWriter.Synchronized(new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true });

StreamingHandler handler;
try
{
    handler = new StreamingHandler(FunctionSettings.FromEnvironment(), BedrockChatModel.FromEnvironment(), stdout);
}
catch (Exception e)
{
    string errorType = e is ConfigurationException ? "Runtime.ConfigInvalid" : "Runtime.InitError";
    Console.Error.WriteLine($"Start-up failed ({errorType}): {e.Message}");
    await runtime.PostInitErrorAsync(errorType, e.Message);   // Lambda reports it to the first caller
    return 1;
}

try
{
    await new LambdaBootstrap(runtime, handler.HandleAsync).RunAsync(shutdown.Token);
    return 0;
}
catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
{
    return 0;   // SIGTERM: Lambda is shutting the environment down
}
catch (Exception e)
{
    Console.Error.WriteLine($"The Lambda Runtime API at {runtime.HostAndPort} failed: {e.GetType().Name}: {e.Message}");
    return 2;
}
