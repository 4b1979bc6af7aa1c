using System.Globalization;
using System.Text;

namespace BedrockStream.Function.Local;

/// <summary>The host's command line: <c>dotnet run --project local/BedrockStream.Function.Local -- [options]</c>.</summary>
internal static class CommandLine
{
    public const string Usage = """
        Local streaming host: Lambda Runtime API emulator + the front (Function URL, REST API or CloudFront)
        + fake Bedrock model + chat page.

        Options:
          --port <n>                 the front's port (default 5050; 0 = any free port)
          --front <kind>             url (Function URL: payload 2.0 events), rest-api (REST API: payload 1.0 events,
                                     x-api-key checked when it has one) or cloudfront (Function URL behind CloudFront:
                                     a POST needs x-amz-content-sha256); default: the front this project deploys
          --api-key <key>            the key a rest-api front requires in x-api-key (default: made up at start when
                                     the project deploys an API key; "none": no key)
          --fake-model               use the built-in fake Bedrock model (default when no AWS credentials are found)
          --bedrock                  call the real Amazon Bedrock with your AWS credentials
          --token-rate <n>           tokens per second of the fake model (default 30; 0 = as fast as possible)
          --function-timeout <s>     the function's timeout in seconds (default: Timeout of template.yaml)
          --function-command "<cmd>" how to start the function (default: dotnet <src build output>/bootstrap.dll;
                                     for a Native AOT publish: the path of the bootstrap binary)
          --handler <name>           the function's _HANDLER (default: Handler of template.yaml, else bootstrap), e.g.
                                     index.handler for AWS's Node.js runtime client, which reads only _HANDLER;
                                     LAMBDA_TASK_ROOT is the folder of the command's bootstrap, else the working directory
          --env KEY=VALUE            environment variable for the function (repeatable), e.g. --env RESPONSE_FORMAT=text
          --runtime-api-port <n>     Runtime API emulator port (default 0 = any free port)
          --fake-model-port <n>      fake model port (default 0 = any free port)
          -h, --help                 this text
        """;

    /// <summary>The front template.yaml deploys (dotnet new bedrock-stream --front); --front overrides it.</summary>
    internal static readonly FrontKind DeployedFront = FrontKind.FunctionUrl;

    /// <summary>True when the deployed REST API requires an API key (dotnet new bedrock-stream --auth API_KEY).</summary>
    internal static readonly bool DeployedApiKeyRequired = false;

    public static LocalHostOptions Parse(string[] args, out bool help)
    {
        help = false;
        var options = new LocalHostOptions { Port = 5050, ModelMode = ModelMode.Auto, Front = DeployedFront };
        string? apiKey = null;
        // Run the function as it is deployed: Timeout, MemorySize and environment of template.yaml.
        if (SamTemplateSettings.Find() is { } template)
        {
            if (template.Timeout is { } timeout) options.FunctionTimeout = TimeSpan.FromSeconds(timeout);
            if (template.MemorySize is { } memory) options.MemorySize = memory;
            if (template.Handler is { } handler) options.Handler = handler;
            foreach (var (key, value) in template.Variables) options.Environment[key] = value;
        }
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "-h" or "--help" or "-?": help = true; break;
                case "--port": options.Port = Port(Value()); break;
                case "--runtime-api-port": options.RuntimeApiPort = Port(Value()); break;
                case "--fake-model-port": options.FakeModelPort = Port(Value()); break;
                case "--fake-model": options.ModelMode = ModelMode.Fake; break;
                case "--bedrock": options.ModelMode = ModelMode.Bedrock; break;
                case "--token-rate": options.TokenRate = Number(Value(), "--token-rate", 0, 1_000_000); break;
                case "--function-timeout": options.FunctionTimeout = TimeSpan.FromSeconds(Number(Value(), "--function-timeout", 1, 900)); break;
                case "--function-command": options.FunctionCommand = Value(); break;
                case "--handler": options.Handler = Value(); break;
                case "--front":
                    var front = Value();
                    options.Front = FrontRules.TryParse(front, out var kind) ? kind : throw new ArgumentException($"--front must be url, rest-api or cloudfront, got '{front}'.");
                    break;
                case "--api-key": apiKey = Value(); break;
                case "--env":
                    var pair = Value();
                    var eq = pair.IndexOf('=');
                    if (eq <= 0) throw new ArgumentException($"--env wants KEY=VALUE, got '{pair}'.");
                    options.Environment[pair[..eq]] = pair[(eq + 1)..];
                    break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'. Try --help.");
            }
        }
        if (apiKey is not null && options.Front != FrontKind.RestApi)
            throw new ArgumentException("--api-key needs the rest-api front: only a REST API has API keys.");
        if (options.Front == FrontKind.RestApi)
            options.ApiKey = apiKey switch
            {
                "none" => null,
                null when DeployedApiKeyRequired && DeployedFront == FrontKind.RestApi => "local-" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12)).ToLowerInvariant(),
                _ => apiKey,
            };
        return options;
    }

    private static int Port(string text) => (int)Number(text, "port", 0, 65535);

    private static double Number(string text, string name, double min, double max) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw new ArgumentException($"{name} must be a number between {min} and {max}, got '{text}'.");

    /// <summary>Splits a command line into program and arguments (double quotes group, backslash escapes a quote).</summary>
    public static (string FileName, IReadOnlyList<string> Arguments) SplitCommand(string command)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        bool inQuotes = false, any = false;
        for (var i = 0; i < command.Length; i++)
        {
            var c = command[i];
            if (c == '\\' && i + 1 < command.Length && command[i + 1] == '"') { current.Append('"'); i++; any = true; }
            else if (c == '"') { inQuotes = !inQuotes; any = true; }
            else if (char.IsWhiteSpace(c) && !inQuotes)
            {
                if (any) parts.Add(current.ToString());
                current.Clear();
                any = false;
            }
            else { current.Append(c); any = true; }
        }
        if (any) parts.Add(current.ToString());
        if (parts.Count == 0) throw new ArgumentException("The function command is empty.");
        // A bare path to a .dll runs with dotnet.
        if (parts[0].EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            parts.Insert(0, FunctionLocator.DotnetHost().Trim('"'));
        return (parts[0], parts.Skip(1).ToList());
    }
}
