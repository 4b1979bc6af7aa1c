using System.Globalization;

namespace BedrockStream.Function.Local;

/// <summary>
/// The whole local environment, in-process: Runtime API emulator, the front (a Function URL, a REST API or
/// CloudFront, <see cref="LocalHostOptions.Front"/>), fake Bedrock model and the function as a child process. Used by <c>Program</c> and by the end-to-end tests:
/// <code>
/// await using var host = await LocalHost.StartAsync(new LocalHostOptions { TokenRate = 50, FunctionTimeout = TimeSpan.FromSeconds(30) });
/// var response = await http.PostAsync(host.FunctionUrl, ...);
/// </code>
/// </summary>
public sealed class LocalHost : IAsyncDisposable
{
    /// <summary>The function's default model (the template rewrites it to the chosen one).</summary>
    public const string DefaultModelId = "us.amazon.nova-2-lite-v1:0";

    private readonly LocalHostOptions _options;
    private readonly Action<string> _log;
    private readonly FakeBedrock? _fakeBedrock;
    private FunctionProcess? _function;
    private int _disposed;

    private LocalHost(LocalHostOptions options, bool useFakeModel)
    {
        _options = options;
        _log = options.Log ?? Console.WriteLine;
        var arn = $"arn:aws:lambda:us-east-1:123456789012:function:{options.FunctionName}";
        Emulator = new RuntimeApiEmulator(options.FunctionTimeout, arn, Events, _log);
        if (useFakeModel)
        {
            FakeModel = new FakeModel(options.TokenRate);
            _fakeBedrock = new FakeBedrock(FakeModel, _log);
        }
        // An OpenAI-compatible function answers several paths (/v1/chat/completions, /v1/models): its REST API has a proxy resource.
        Front = new FunctionUrlFront(Emulator, new LocalStatus(Status, FakeModel), _log, options.Front, options.ApiKey,
            ResponseFormat == "openai" ? FrontRules.RestApiProxyResource : FrontRules.RestApiPath);
    }

    /// <summary>The function's <c>RESPONSE_FORMAT</c> (<c>sse</c>, <c>text</c> or <c>openai</c>), lower-case.</summary>
    public string ResponseFormat =>
        (_options.Environment.TryGetValue("RESPONSE_FORMAT", out var format) ? format : Environment.GetEnvironmentVariable("RESPONSE_FORMAT")) is { Length: > 0 } f
            ? f.Trim().ToLowerInvariant() : "sse";

    /// <summary>Everything the emulator observed: polls, invocations, trailers, errors, process starts and exits.</summary>
    public RuntimeEventLog Events { get; } = new();

    /// <summary>The fake Bedrock model (requests seen, fault injection, frame times); null with real Bedrock.</summary>
    public FakeModel? FakeModel { get; }

    /// <summary>
    /// Where HTTP clients call the function, like <c>https://&lt;url-id&gt;.lambda-url.&lt;region&gt;.on.aws/</c>, a REST API's
    /// stage or a CloudFront distribution: whichever front the host plays.
    /// </summary>
    public Uri FunctionUrl => Front.Url;

    /// <summary>The front the host plays.</summary>
    public FrontKind FrontKind => Front.Kind;

    /// <summary>The key a REST API front requires in <c>x-api-key</c>; null: none.</summary>
    public string? ApiKey => Front.ApiKey;

    /// <summary>The Runtime API the function polls (<c>http://</c> + <c>AWS_LAMBDA_RUNTIME_API</c>).</summary>
    public Uri RuntimeApiEndpoint => Emulator.Endpoint;

    /// <summary>The fake model's endpoint (<c>AWS_ENDPOINT_URL_BEDROCK_RUNTIME</c>), or null with real Bedrock.</summary>
    public Uri? FakeModelEndpoint => FakeModel?.Endpoint;

    /// <summary>The command line the function runs with.</summary>
    public string FunctionCommand { get; private set; } = "";

    /// <summary><c>LAMBDA_TASK_ROOT</c>: the folder of the function's code (see <see cref="FunctionLocator.TaskRoot"/>).</summary>
    public string TaskRoot { get; private set; } = "";

    /// <summary>Completes, with the reason, when the function could not be kept running (the host stays up, answering 502).</summary>
    public Task<string> FunctionGaveUp => _function?.GaveUp ?? Task.FromResult("not started");

    /// <summary>How long a stopping function may take to exit after SIGTERM before it is killed, with all it started.</summary>
    public static TimeSpan FunctionShutdownGrace => FunctionProcess.ShutdownGrace;

    /// <summary>The id of the function's current process, if one runs.</summary>
    public int? FunctionProcessId => _function?.ProcessId;

    internal RuntimeApiEmulator Emulator { get; }
    internal FunctionUrlFront Front { get; }

    /// <summary>
    /// Starts every part and waits for the function's first <c>/next</c> poll. Throws
    /// <see cref="PortInUseException"/> when a port is taken and <see cref="InvalidOperationException"/>
    /// when the function does not start (with its last output), after stopping whatever had started.
    /// </summary>
    public static async Task<LocalHost> StartAsync(LocalHostOptions options, CancellationToken cancellationToken = default)
    {
        var (useFake, why) = ChooseModel(options.ModelMode);
        var host = new LocalHost(options, useFake);
        try
        {
            host._log($"[host] model: {why}");
            await host.StartPartsAsync(cancellationToken);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    private async Task StartPartsAsync(CancellationToken cancellationToken)
    {
        if (_fakeBedrock is not null) await _fakeBedrock.StartAsync(_options.FakeModelPort, cancellationToken);
        await Emulator.StartAsync(_options.RuntimeApiPort, cancellationToken);
        await Front.StartAsync(_options.Port, cancellationToken);
        if (!_options.StartFunction) return;

        FunctionCommand = _options.FunctionCommand ?? FunctionLocator.DefaultCommand();
        TaskRoot = FunctionLocator.TaskRoot(FunctionCommand);
        var firstPoll = Events.WaitForAsync(e => e.Kind == RuntimeEventKind.NextPolled, _options.StartupTimeout, cancellationToken);
        _function = new FunctionProcess(FunctionCommand, FunctionEnvironment(), Events, _log);
        _function.Exited += Emulator.OnFunctionExited;
        Events.Subscribe(new PollObserver(_function));
        Emulator.InvocationTimedOut += _function.Kill;
        _function.Start();

        var first = await Task.WhenAny(firstPoll, _function.GaveUp);
        if (first == _function.GaveUp)
            throw new InvalidOperationException($"The function did not start: {await _function.GaveUp}");
        try
        {
            await firstPoll;
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"The function did not poll /next within {_options.StartupTimeout.TotalSeconds:0} s of starting ({FunctionCommand}).");
        }
    }

    /// <summary>
    /// The environment Lambda gives a function ("Defined runtime environment variables",
    /// https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html), so that any runtime client starts
    /// under the host given only its handler name; and where Bedrock is.
    /// </summary>
    private Dictionary<string, string?> FunctionEnvironment()
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["AWS_LAMBDA_RUNTIME_API"] = Emulator.HostAndPort,
            ["_HANDLER"] = _options.Handler,
            ["LAMBDA_TASK_ROOT"] = TaskRoot,
            // A custom runtime is its own runtime: Lambda's OS-only image runs ${LAMBDA_RUNTIME_DIR}/bootstrap, a zip
            // runs ${LAMBDA_TASK_ROOT}/bootstrap; here both are the one folder.
            ["LAMBDA_RUNTIME_DIR"] = TaskRoot,
            ["AWS_LAMBDA_FUNCTION_NAME"] = _options.FunctionName,
            ["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST",
            ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = _options.MemorySize.ToString(CultureInfo.InvariantCulture),
            ["AWS_LAMBDA_LOG_GROUP_NAME"] = "/aws/lambda/" + _options.FunctionName,
            ["AWS_LAMBDA_LOG_STREAM_NAME"] = string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyy'/'MM'/'dd}/[$LATEST]{Guid.NewGuid():N}"),
            ["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand",
            ["TZ"] = ":UTC",
            ["LANG"] = "en_US.UTF-8",
            ["LC_ALL"] = null,   // it would win over LANG; Lambda sets none
            // Only a managed runtime has an AWS_EXECUTION_ENV (AWS_Lambda_nodejs22.x, ...), an OS-only one (provided.*)
            // none; and the trace id is the runtime's to set, per invocation, from the Lambda-Runtime-Trace-Id header.
            ["AWS_EXECUTION_ENV"] = null,
            ["_X_AMZN_TRACE_ID"] = null,
            // PATH and LD_LIBRARY_PATH stay this machine's: Lambda's values would hide the interpreters installed here,
            // and a project folder on the library search path would let any library in it be loaded.
            ["MODEL_ID"] = Environment.GetEnvironmentVariable("MODEL_ID") ?? DefaultModelId,
        };
        if (FakeModel is { } fake)
        {
            env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = fake.Endpoint!.ToString().TrimEnd('/');
            env["AWS_REGION"] = fake.Region;
            env["AWS_DEFAULT_REGION"] = fake.Region;
            env["AWS_ACCESS_KEY_ID"] = fake.AccessKeyId;
            env["AWS_SECRET_ACCESS_KEY"] = fake.SecretAccessKey;
            env["AWS_SESSION_TOKEN"] = fake.SessionToken;
            // Nothing else in the credential chain may win over the fake keys, nor reach AWS.
            foreach (var key in new[] { "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_BEARER_TOKEN_BEDROCK", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
                         "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_ENDPOINT_URL" })
                env[key] = null;
            env["AWS_EC2_METADATA_DISABLED"] = "true";
        }
        else
        {
            env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] =
                Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") ?? "us-east-1";
        }
        foreach (var (key, value) in _options.Environment) env[key] = value;
        return env;
    }

    /// <summary>Fake model when asked, or when no AWS credentials are visible (checked without network calls).</summary>
    private static (bool UseFake, string Why) ChooseModel(ModelMode mode)
    {
        switch (mode)
        {
            case ModelMode.Fake: return (true, "the built-in fake model (--fake-model)");
            case ModelMode.Bedrock: return (false, "Amazon Bedrock with your AWS credentials (--bedrock)");
        }
        string[] variables = { "AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" };
        var found = variables.FirstOrDefault(v => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(v)));
        if (found is not null) return (false, $"Amazon Bedrock ({found} is set; --fake-model to stay offline)");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var files = new[] { Environment.GetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE") ?? Path.Combine(home, ".aws", "credentials"), Environment.GetEnvironmentVariable("AWS_CONFIG_FILE") ?? Path.Combine(home, ".aws", "config") };
        var file = files.FirstOrDefault(f => File.Exists(f) && File.ReadAllText(f).Contains("[default]", StringComparison.Ordinal));
        return file is not null
            ? (false, $"Amazon Bedrock (default profile in {file}; --fake-model to stay offline)")
            : (true, "the built-in fake model: no AWS credentials found (--bedrock to call Amazon Bedrock)");
    }

    private object Status() => new
    {
        model = FakeModel is null ? "bedrock" : "fake",
        // The function's RESPONSE_FORMAT, so that the chat page knows how to ask before it reads an answer.
        format = ResponseFormat,
        front = FrontRules.Name(FrontKind),
        // A local, made-up key, so that the chat page can send it; a deployed key is never here.
        apiKey = ApiKey,
        functionUrl = FunctionUrl.ToString(),
        runtimeApi = RuntimeApiEndpoint.ToString(),
        fakeModel = FakeModelEndpoint?.ToString(),
        functionCommand = FunctionCommand,
        functionPid = FunctionProcessId,
        functionStarts = _function?.Starts ?? 0,
        functionGaveUp = FunctionGaveUp.IsCompleted ? FunctionGaveUp.Result : null,
        fakeModelRequests = FakeModel?.RequestCount,
        tokenRate = FakeModel?.TokenRate,
    };

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        // The function first: its long poll and any response connection close with it.
        if (_function is not null) await _function.DisposeAsync();
        await Front.DisposeAsync();
        await Emulator.DisposeAsync();
        if (_fakeBedrock is not null) await _fakeBedrock.DisposeAsync();
    }

    private sealed class PollObserver(FunctionProcess function) : IObserver<RuntimeEvent>
    {
        public void OnNext(RuntimeEvent value)
        {
            if (value.Kind == RuntimeEventKind.NextPolled) function.MarkPolled();
        }
        public void OnCompleted() { }
        public void OnError(Exception error) { }
    }
}
