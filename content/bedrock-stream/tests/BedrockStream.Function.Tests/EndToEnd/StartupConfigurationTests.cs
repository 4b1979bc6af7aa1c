using System.Collections.Concurrent;
using BedrockStream.Function.Local;

namespace BedrockStream.Function.Tests.EndToEnd;

/// <summary>
/// Settings the model cannot honour fail the function's start with a clear <c>/init/error</c>, as Lambda would show
/// it, instead of a failed call on every invocation.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class StartupConfigurationTests
{
    /// <summary>Starts the function with <paramref name="environment"/> and returns the init error the host logged.</summary>
    internal static async Task<string> InitErrorAsync(params (string Name, string Value)[] environment)
    {
        var log = new ConcurrentQueue<string>();
        var options = TestFunction.HostOptions(log.Enqueue);
        foreach (var (name, value) in environment) options.Environment[name] = value;

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => LocalHost.StartAsync(options));

        Assert.Contains("did not start", failed.Message);
        return Assert.Single(log, line => line.Contains("failed to initialise", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reasoning_on_a_model_the_function_cannot_make_reason_is_an_init_error()
    {
        var error = await InitErrorAsync(("MODEL_ID", "acme.chat-v1:0"), ("REASONING_EFFORT", "low"));

        Assert.Contains("Runtime.ConfigInvalid", error);
        Assert.Contains("REASONING_EFFORT is 'low'", error);
        Assert.Contains("'acme.chat-v1:0'", error);
    }

    [Fact]
    public async Task An_unknown_reasoning_effort_is_an_init_error()
    {
        var error = await InitErrorAsync(("REASONING_EFFORT", "maximum"));

        Assert.Contains("REASONING_EFFORT must be 'off', 'low', 'medium' or 'high'", error);
    }
}
