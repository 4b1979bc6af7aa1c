using BedrockStream.Function.Local;

namespace BedrockStream.Function.Tests;

/// <summary>
/// The function under test in the end-to-end suites: the <c>bootstrap.dll</c> this test project's build copied beside
/// the tests, or the command in <c>E2E_FUNCTION_COMMAND</c> (e.g. a Native AOT <c>bootstrap</c> from <c>dotnet publish</c>).
/// </summary>
internal static class TestFunction
{
    /// <summary>The command from <c>E2E_FUNCTION_COMMAND</c>; null means the host's default (the built <c>bootstrap.dll</c>).</summary>
    public static string? Command => Environment.GetEnvironmentVariable("E2E_FUNCTION_COMMAND") is { Length: > 0 } command ? command : null;

    /// <summary>
    /// A local host running the function against the fake model at full speed, answering SSE whatever format the
    /// project was generated with, every host and function log line going to <paramref name="log"/>.
    /// </summary>
    public static LocalHostOptions HostOptions(Action<string> log)
    {
        var options = new LocalHostOptions
        {
            ModelMode = ModelMode.Fake,
            TokenRate = 0,
            FunctionTimeout = TimeSpan.FromSeconds(30),
            FunctionCommand = Command,
            StartupTimeout = TimeSpan.FromSeconds(20),
            Log = log,
        };
        options.Environment["RESPONSE_FORMAT"] = "sse";
        return options;
    }
}
