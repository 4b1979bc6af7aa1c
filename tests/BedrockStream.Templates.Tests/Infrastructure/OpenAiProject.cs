using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;

namespace BedrockStream.Templates.Tests.Infrastructure;

/// <summary>
/// The project a new user of <c>--format openai</c> makes (<c>dotnet new bedrock-stream -n Compat --format openai --auth NONE</c>),
/// generated and its local host built once per test run, for every test that points an OpenAI client at it.
/// </summary>
public static class OpenAiProject
{
    /// <summary>The key the REST API front of these tests requires in <c>x-api-key</c>.</summary>
    public const string ApiKey = "local-test-key";

    private static readonly Lazy<Task<GeneratedProject>> SharedInstance = new(CreateAsync);

    public static Task<GeneratedProject> Shared => SharedInstance.Value;

    private static async Task<GeneratedProject> CreateAsync()
    {
        var pack = await TemplatePackage.Shared;
        var project = new GeneratedProject(await pack.CreateAsync("Compat", "--format", "openai", "--auth", "NONE", "--tests", "false", "--ci", "none"), "Compat");
        (await Dotnet.RunAsync(["build", "local/Compat.Local/Compat.Local.csproj"], project.Directory, TimeSpan.FromMinutes(6))).EnsureSuccess();
        return project;
    }

    /// <summary>The base URL OpenAI's clients take: the front's <c>/v1</c>.</summary>
    public static Uri BaseUrl(LocalHostProcess host) => new(host.FunctionUrl, "v1");

    /// <summary>OpenAI's .NET client for <paramref name="host"/>, sending <paramref name="headers"/> with every request.</summary>
    public static OpenAIClient Client(LocalHostProcess host, params (string Name, string Value)[] headers)
    {
        var options = new OpenAIClientOptions { Endpoint = BaseUrl(host), NetworkTimeout = TimeSpan.FromSeconds(60) };
        foreach (var (name, value) in headers)
            options.AddPolicy(new HeaderPolicy(name, value), PipelinePosition.PerCall);
        // The function does not check OpenAI's key: the client needs one all the same.
        return new OpenAIClient(new ApiKeyCredential("unused"), options);
    }

    /// <summary>Adds a header to every request: how an OpenAI .NET client sends a REST API's <c>x-api-key</c>.</summary>
    private sealed class HeaderPolicy(string name, string value) : PipelinePolicy
    {
        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Set(name, value);
            ProcessNext(message, pipeline, currentIndex);
        }

        public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Set(name, value);
            return ProcessNextAsync(message, pipeline, currentIndex);
        }
    }
}

/// <summary>The <see cref="OpenAiProject"/>'s local host twice, for one test class: as its Function URL, and as a REST API with an API key.</summary>
public sealed class OpenAiHosts : IAsyncLifetime
{
    public LocalHostProcess Url { get; private set; } = null!;
    public LocalHostProcess RestApi { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var project = await OpenAiProject.Shared;
        Url = await LocalHostProcess.StartAsync(project, "net10.0", ["--token-rate", "0"]);
        RestApi = await LocalHostProcess.StartAsync(project, "net10.0", ["--token-rate", "0", "--front", "rest-api", "--api-key", OpenAiProject.ApiKey]);
    }

    public async Task DisposeAsync()
    {
        if (Url is not null) await Url.DisposeAsync();
        if (RestApi is not null) await RestApi.DisposeAsync();
    }
}
