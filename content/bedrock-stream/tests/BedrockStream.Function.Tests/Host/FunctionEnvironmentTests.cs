using BedrockStream.Function.Local;
using BedrockStream.Function.Tests.EndToEnd;

namespace BedrockStream.Function.Tests.Host;

/// <summary>
/// The host gives the function the environment Lambda defines for a runtime
/// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html), so that runtime clients other than this
/// project's start under it given only their handler name.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class FunctionEnvironmentTests
{
    private static readonly string[] Names =
    [
        "_HANDLER", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_REGION", "AWS_DEFAULT_REGION", "TZ", "LANG", "LC_ALL", "AWS_EXECUTION_ENV",
    ];

    [LinuxFact]
    public async Task The_function_gets_the_environment_Lambda_defines()
    {
        using var function = new BashFunction($$"""
            for name in {{string.Join(' ', Names)}}; do printf '%s=%s\n' "$name" "${!name-(unset)}"; done > env
            """);
        var options = function.HostOptions();
        options.Handler = "index.handler";
        options.FunctionName = "env-check";
        options.MemorySize = 256;
        // What a developer's shell may hold and Lambda never sets for an OS-only runtime.
        using var inherited = new InheritedVariables(("AWS_EXECUTION_ENV", "AWS_Lambda_nodejs22.x"), ("LC_ALL", "C.UTF-8"));

        await using var host = await LocalHost.StartAsync(options);
        var env = File.ReadAllLines(function.FileOf("env")).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

        Assert.Equal("index.handler", env["_HANDLER"]);
        Assert.Equal(function.Folder, env["LAMBDA_TASK_ROOT"]);
        Assert.Equal(function.Folder, env["LAMBDA_RUNTIME_DIR"]);
        Assert.Equal(host.RuntimeApiEndpoint.Authority, env["AWS_LAMBDA_RUNTIME_API"]);
        Assert.Equal("env-check", env["AWS_LAMBDA_FUNCTION_NAME"]);
        Assert.Equal("$LATEST", env["AWS_LAMBDA_FUNCTION_VERSION"]);
        Assert.Equal("256", env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]);
        Assert.Equal("/aws/lambda/env-check", env["AWS_LAMBDA_LOG_GROUP_NAME"]);
        Assert.Matches(@"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$", env["AWS_LAMBDA_LOG_STREAM_NAME"]);
        Assert.Equal("on-demand", env["AWS_LAMBDA_INITIALIZATION_TYPE"]);
        Assert.Equal(host.FakeModel!.Region, env["AWS_REGION"]);
        Assert.Equal(host.FakeModel!.Region, env["AWS_DEFAULT_REGION"]);
        Assert.Equal(":UTC", env["TZ"]);
        Assert.Equal("en_US.UTF-8", env["LANG"]);
        Assert.Equal("(unset)", env["LC_ALL"]);
        Assert.Equal("(unset)", env["AWS_EXECUTION_ENV"]);
        Assert.Equal(function.Folder, host.TaskRoot);
    }

    [Fact]
    public void The_task_root_is_the_folder_of_the_commands_bootstrap()
    {
        var folder = Directory.CreateTempSubdirectory("task-root-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "bootstrap"), "");
            File.WriteAllText(Path.Combine(folder, "bootstrap.dll"), "");

            Assert.Equal(folder, FunctionLocator.TaskRoot($"\"{Path.Combine(folder, "bootstrap")}\""));
            Assert.Equal(folder, FunctionLocator.TaskRoot($"dotnet \"{Path.Combine(folder, "bootstrap.dll")}\""));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Without_a_bootstrap_the_task_root_is_the_working_directory_where_a_runtime_client_finds_its_handler()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-folder-" + Guid.NewGuid().ToString("N"), "bootstrap");

        Assert.Equal(Directory.GetCurrentDirectory(), FunctionLocator.TaskRoot("node node_modules/aws-lambda-ric/index.mjs"));
        Assert.Equal(Directory.GetCurrentDirectory(), FunctionLocator.TaskRoot($"\"{missing}\""));
    }

    [Fact]
    public void The_handler_comes_from_the_templates_Handler_property()
    {
        var zip = SamTemplateSettings.Read(["Resources:", "  Fn:", "    Properties:", "      Runtime: provided.al2023", "      Handler: bootstrap", "      Timeout: 60"]);
        var image = SamTemplateSettings.Read(["Resources:", "  Fn:", "    Properties:", "      PackageType: Image", "      Timeout: 60"]);

        Assert.Equal("bootstrap", zip.Handler);
        Assert.Null(image.Handler);
        Assert.Equal("bootstrap", new LocalHostOptions().Handler);
    }

    /// <summary>Sets variables in this process (which the host's children inherit) and restores them.</summary>
    private sealed class InheritedVariables : IDisposable
    {
        private readonly (string Name, string? Value)[] _saved;

        public InheritedVariables(params (string Name, string Value)[] variables)
        {
            _saved = variables.Select(v => (v.Name, Environment.GetEnvironmentVariable(v.Name))).ToArray();
            foreach (var (name, value) in variables) Environment.SetEnvironmentVariable(name, value);
        }

        public void Dispose()
        {
            foreach (var (name, value) in _saved) Environment.SetEnvironmentVariable(name, value);
        }
    }
}
