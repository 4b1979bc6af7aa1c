namespace BedrockStream.Function.Local;

/// <summary>Where the function's calls to Bedrock go.</summary>
public enum ModelMode
{
    /// <summary>The built-in fake model when no AWS credentials are found, Bedrock otherwise (the command line's default).</summary>
    Auto,
    /// <summary>Always the built-in fake ConverseStream endpoint (offline; the test API's default).</summary>
    Fake,
    /// <summary>The real Amazon Bedrock, with the caller's credentials.</summary>
    Bedrock,
}

/// <summary>Settings of a <see cref="LocalHost"/>. Every port 0 means "any free port".</summary>
public sealed class LocalHostOptions
{
    /// <summary>The front (HTTP clients and the chat page). The command line defaults it to 5050.</summary>
    public int Port { get; set; }

    /// <summary>Which front the host plays: a Function URL (2.0 events), a REST API (1.0 events, API key) or CloudFront (body hash).</summary>
    public FrontKind Front { get; set; } = FrontKind.FunctionUrl;

    /// <summary>With <see cref="FrontKind.RestApi"/>: the key callers must send in <c>x-api-key</c> (else the front answers 403); null: no key.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The Lambda Runtime API emulator the function polls.</summary>
    public int RuntimeApiPort { get; set; }

    /// <summary>The fake Bedrock ConverseStream endpoint.</summary>
    public int FakeModelPort { get; set; }

    public ModelMode ModelMode { get; set; } = ModelMode.Fake;

    /// <summary>Tokens per second of the fake model; 0 or less = as fast as possible.</summary>
    public double TokenRate { get; set; } = 30;

    /// <summary>Lambda's <c>Timeout</c>: the invocation deadline, and the bound of every wait of the host.</summary>
    public TimeSpan FunctionTimeout { get; set; } = TimeSpan.FromSeconds(900);

    /// <summary>
    /// The command line that starts the function, e.g. <c>dotnet path/bootstrap.dll</c> or <c>path/bootstrap</c>
    /// (a Native AOT publish). Null: the <c>bootstrap.dll</c> built beside the host (see <see cref="FunctionLocator"/>).
    /// </summary>
    public string? FunctionCommand { get; set; }

    /// <summary>
    /// <c>_HANDLER</c>: the handler a runtime client loads, e.g. <c>index.handler</c> for AWS's Node.js client. A custom
    /// runtime like this project's ignores it; the command line takes <c>Handler</c> of template.yaml when there is one.
    /// </summary>
    public string Handler { get; set; } = "bootstrap";

    /// <summary>Extra environment variables for the function (MODEL_ID, RESPONSE_FORMAT, MAX_REQUEST_BYTES, ...).</summary>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// False: no function process; the caller plays the function against <see cref="LocalHost.RuntimeApiEndpoint"/>
    /// (tests of the emulator's edge cases: malformed preludes, /error, /init/error, trailers).
    /// </summary>
    public bool StartFunction { get; set; } = true;

    /// <summary>The function's memory in MB, as Lambda tells it (AWS_LAMBDA_FUNCTION_MEMORY_SIZE).</summary>
    public int MemorySize { get; set; } = 1024;

    /// <summary>The function's name, in its ARN and in AWS_LAMBDA_FUNCTION_NAME.</summary>
    public string FunctionName { get; set; } = "bedrockstream-function";

    /// <summary>How long the function may take to make its first <c>/next</c> poll before start-up fails.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Where the host's own log lines go (and the function's, prefixed <c>[function]</c>). Null: standard output.</summary>
    public Action<string>? Log { get; set; }
}
