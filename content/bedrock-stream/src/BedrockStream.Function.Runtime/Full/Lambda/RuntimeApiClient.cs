using AwsLambdaBootstrap = Amazon.Lambda.RuntimeSupport.LambdaBootstrap;
using AwsRuntimeApiClient = Amazon.Lambda.RuntimeSupport.RuntimeApiClient;

namespace BedrockStream.Function.Runtime;

/// <summary>
/// The Lambda Runtime API connection of the <c>--sdk full</c> variant: Amazon.Lambda.RuntimeSupport owns the wire
/// (<c>/next</c>, the streaming <c>/response</c>, <c>/error</c>, <c>/init/error</c>); this class holds the HTTP
/// client it shares and reports start-up failures (https://github.com/aws/aws-lambda-dotnet/tree/master/Libraries/src/Amazon.Lambda.RuntimeSupport).
/// </summary>
public sealed class RuntimeApiClient : IDisposable
{
    /// <summary>The environment variable holding the Runtime API's <c>host:port</c>.</summary>
    public const string RuntimeApiVariable = "AWS_LAMBDA_RUNTIME_API";

    private RuntimeApiClient(string hostAndPort)
    {
        HostAndPort = hostAndPort;
        // RuntimeSupport's own client: SocketsHttpHandler, its User-Agent, UTF-8 header values.
        HttpClient = AwsLambdaBootstrap.ConstructHttpClient();
    }

    /// <summary>Creates a client for the address in <c>AWS_LAMBDA_RUNTIME_API</c>.</summary>
    /// <exception cref="InvalidOperationException">The variable is not set (not running inside Lambda).</exception>
    public static RuntimeApiClient FromEnvironment()
    {
        string? value = Environment.GetEnvironmentVariable(RuntimeApiVariable);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                $"{RuntimeApiVariable} is not set: this executable is a Lambda custom runtime and must run inside Lambda (or a Runtime API emulator).");
        }

        return new RuntimeApiClient(value.Trim());
    }

    /// <summary>The Runtime API address this client talks to.</summary>
    public string HostAndPort { get; }

    /// <summary>The HTTP client handed to <c>LambdaBootstrapBuilder.UseHttpClient</c>; owned (and disposed) here.</summary>
    internal HttpClient HttpClient { get; }

    /// <summary><c>POST /runtime/init/error</c>: initialization failed; the process should exit afterwards.</summary>
    public Task PostInitErrorAsync(string errorType, string errorMessage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(errorType);
        ArgumentNullException.ThrowIfNull(errorMessage);

        // RuntimeSupport's client reads AWS_LAMBDA_RUNTIME_API itself; errorType becomes Lambda-Runtime-Function-Error-Type.
        var client = new AwsRuntimeApiClient(HttpClient);
        return client.ReportInitializationErrorAsync(new InitializationException(errorMessage), errorType, cancellationToken);
    }

    public void Dispose() => HttpClient.Dispose();

    /// <summary>The start-up failure as RuntimeSupport reports it (its JSON carries the type name and message).</summary>
    private sealed class InitializationException(string message) : Exception(message);
}
