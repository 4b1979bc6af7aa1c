using System.Text.Json.Nodes;
using BedrockStream.Templates.Tests.Infrastructure;

namespace BedrockStream.Templates.Tests;

/// <summary>The generated <c>template.yaml</c>: valid SAM, each option's effect, least-privilege IAM.</summary>
public class SamTemplateTests
{
    [Theory]
    [InlineData("Default")]
    [InlineData("Zip", "--package-type", "zip", "--architecture", "arm64", "--aot", "false")]
    [InlineData("Public", "--auth", "NONE", "--cors-origin", "https://chat.example.org", "--format", "text")]
    [InlineData("Global", "--model", "global.amazon.nova-2-lite-v1:0", "--memory", "128", "--timeout", "1")]
    [InlineData("Arn", "--model-id", "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-6")]
    public async Task Generated_template_is_valid_against_the_SAM_schema(string name, params string[] options)
    {
        var project = await CreateAsync(name, options);
        var template = project.SamTemplate();

        var errors = await SamSchema.ValidateAsync(template);

        Assert.True(errors.Count == 0, string.Join('\n', errors));
        Assert.Equal("AWS::Serverless-2016-10-31", (string?)template["Transform"]);
    }

    [Fact]
    public async Task Schema_check_catches_a_misspelled_or_misplaced_property()
    {
        var project = await CreateAsync("Misspelled");
        var template = project.SamTemplate();
        var function = template["Resources"]!["StreamingFunction"]!["Properties"]!.AsObject();
        function["MemorySzie"] = function["MemorySize"]!.DeepClone();
        function.Remove("MemorySize");
        // Misplaced: InvokeMode belongs inside FunctionUrlConfig.
        function["FunctionUrlConfig"]!.AsObject().Remove("InvokeMode");
        function["InvokeMode"] = "RESPONSE_STREAM";

        var errors = await SamSchema.ValidateAsync(template);

        Assert.True(errors.Any(e => e.Contains("MemorySzie")), string.Join('\n', errors));
        Assert.True(errors.Any(e => e.Contains("InvokeMode")), string.Join('\n', errors));
    }

    [Fact]
    public async Task Sigv4_curl_example_uses_the_chosen_region()
    {
        var project = await CreateAsync("Curl", "--region", "ap-southeast-2");
        Assert.Contains("--aws-sigv4 \"aws:amz:ap-southeast-2:lambda\"", project.Read("README.md"));
        Assert.Contains("curl -N", project.Read("README.md"));
    }

    [Fact]
    public async Task Defaults_are_secure_streaming_and_as_documented()
    {
        var project = await CreateAsync("Defaults");
        var template = project.SamTemplate();
        var function = project.FunctionProperties();
        var url = function["FunctionUrlConfig"]!.AsObject();

        Assert.Equal("AWS_IAM", (string?)url["AuthType"]);
        Assert.Equal("RESPONSE_STREAM", (string?)url["InvokeMode"]);
        Assert.False(url.ContainsKey("Cors"));
        Assert.Equal(256, (long)function["MemorySize"]!);
        Assert.Equal(900, (long)function["Timeout"]!);
        Assert.Equal(["x86_64"], function["Architectures"]!.AsArray().Select(a => (string)a!));
        Assert.Equal("Image", (string?)function["PackageType"]);
        Assert.False(function.ContainsKey("Runtime"));
        var metadata = template["Resources"]!["StreamingFunction"]!["Metadata"]!.AsObject();
        Assert.Equal("Dockerfile", (string?)metadata["Dockerfile"]);
        Assert.Equal(".", (string?)metadata["DockerContext"]);
        Assert.False(string.IsNullOrEmpty((string?)metadata["DockerTag"]));

        var variables = function["Environment"]!["Variables"]!.AsObject();
        Assert.Equal("us.amazon.nova-2-lite-v1:0", (string?)variables["MODEL_ID"]);
        Assert.Equal("1024", (string?)variables["MAX_TOKENS"]);
        Assert.Equal("sse", (string?)variables["RESPONSE_FORMAT"]);
        Assert.Equal("false", (string?)variables["LOG_CONTENT"]);
        Assert.Equal("", (string?)variables["SSL_CERT_DIR"]); // the TLS roots from the bundle file alone (cold start)

        var output = template["Outputs"]!["FunctionUrl"]!["Value"]!.AsObject();
        Assert.Equal(["StreamingFunctionUrl", "FunctionUrl"], output["Fn::GetAtt"]!.AsArray().Select(a => (string)a!));

        // No hand-written permissions, no admin policies, no wildcards.
        var resources = template["Resources"]!.AsObject();
        Assert.DoesNotContain(resources, r => (string?)r.Value!["Type"] == "AWS::Lambda::Permission");
        Assert.DoesNotContain("AdministratorAccess", project.Read("template.yaml"));
        Assert.DoesNotContain("Resource: \"*\"", project.Read("template.yaml"));
        Assert.DoesNotContain("Resource: '*'", project.Read("template.yaml"));
    }

    [Fact]
    public async Task Each_option_changes_what_it_says()
    {
        var project = await CreateAsync("Options",
            "--memory", "2048", "--timeout", "120", "--auth", "NONE", "--package-type", "zip", "--architecture", "arm64",
            "--format", "text", "--cors-origin", "https://chat.example.org", "--max-tokens", "4000", "--region", "eu-west-1",
            "--model", "us.anthropic.claude-haiku-4-5-20251001-v1:0");
        var template = project.SamTemplate();
        var function = project.FunctionProperties();
        var url = function["FunctionUrlConfig"]!.AsObject();

        Assert.Equal(2048, (long)function["MemorySize"]!);
        Assert.Equal(120, (long)function["Timeout"]!);
        Assert.Equal("NONE", (string?)url["AuthType"]);
        Assert.Equal("RESPONSE_STREAM", (string?)url["InvokeMode"]);
        Assert.Equal(["https://chat.example.org"], url["Cors"]!["AllowOrigins"]!.AsArray().Select(o => (string)o!));
        Assert.Equal("Zip", (string?)function["PackageType"]);
        Assert.Equal("provided.al2023", (string?)function["Runtime"]);
        Assert.Equal("bootstrap", (string?)function["Handler"]);
        Assert.Equal("makefile", (string?)template["Resources"]!["StreamingFunction"]!["Metadata"]!["BuildMethod"]);
        Assert.Equal(["arm64"], function["Architectures"]!.AsArray().Select(a => (string)a!));
        var variables = function["Environment"]!["Variables"]!.AsObject();
        Assert.Equal("text", (string?)variables["RESPONSE_FORMAT"]);
        Assert.Equal("4000", (string?)variables["MAX_TOKENS"]);
        Assert.Equal("us.anthropic.claude-haiku-4-5-20251001-v1:0", (string?)variables["MODEL_ID"]);
        Assert.Contains("region = \"eu-west-1\"", project.Read("samconfig.toml"));
        Assert.DoesNotContain("resolve_image_repos", project.Read("samconfig.toml"));
        Assert.Contains("| region | `eu-west-1` |", project.Read("README.md"));
        // SAM creates both public permissions itself for AuthType NONE: the template must not hand-write one.
        Assert.DoesNotContain(template["Resources"]!.AsObject(), r => (string?)r.Value!["Type"] == "AWS::Lambda::Permission");
    }

    [Fact]
    public async Task Model_id_overrides_model()
    {
        var project = await CreateAsync("Override", "--model", "amazon.nova-pro-v1:0", "--model-id", "us.anthropic.claude-opus-4-7");
        var variables = project.FunctionProperties()["Environment"]!["Variables"]!.AsObject();
        Assert.Equal("us.anthropic.claude-opus-4-7", (string?)variables["MODEL_ID"]);
        Assert.DoesNotContain("nova", project.Read("template.yaml"));
    }

    private const string Region = "${AWS::Region}";
    private static string FoundationModel(string region, string model) => $"arn:${{AWS::Partition}}:bedrock:{region}::foundation-model/{model}";
    private static string Profile(string profile) => $"arn:${{AWS::Partition}}:bedrock:{Region}:${{AWS::AccountId}}:inference-profile/{profile}";

    public static TheoryData<string, string[]> ModelIdForms => new()
    {
        { "amazon.nova-pro-v1:0", [FoundationModel(Region, "amazon.nova-pro-v1:0")] },
        { "openai.gpt-oss-120b-1:0", [FoundationModel(Region, "openai.gpt-oss-120b-1:0")] },
        {
            "us.anthropic.claude-sonnet-4-6",
            [Profile("us.anthropic.claude-sonnet-4-6"), .. new[] { "us-east-1", "us-east-2", "us-west-1", "us-west-2" }.Select(r => FoundationModel(r, "anthropic.claude-sonnet-4-6"))]
        },
        {
            "eu.anthropic.claude-sonnet-4-6",
            [Profile("eu.anthropic.claude-sonnet-4-6"), .. new[] { "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3" }.Select(r => FoundationModel(r, "anthropic.claude-sonnet-4-6"))]
        },
        {
            "apac.amazon.nova-lite-v1:0",
            [Profile("apac.amazon.nova-lite-v1:0"), .. new[] { "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4" }.Select(r => FoundationModel(r, "amazon.nova-lite-v1:0"))]
        },
        { "jp.anthropic.claude-sonnet-4-6", [Profile("jp.anthropic.claude-sonnet-4-6"), FoundationModel("ap-northeast-1", "anthropic.claude-sonnet-4-6"), FoundationModel("ap-northeast-3", "anthropic.claude-sonnet-4-6")] },
        { "global.amazon.nova-2-lite-v1:0", [Profile("global.amazon.nova-2-lite-v1:0"), FoundationModel(Region, "amazon.nova-2-lite-v1:0"), FoundationModel("", "amazon.nova-2-lite-v1:0")] },
        { "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0", ["arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0"] },
        {
            "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.amazon.nova-lite-v1:0",
            ["arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.amazon.nova-lite-v1:0", .. new[] { "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3" }.Select(r => FoundationModel(r, "amazon.nova-lite-v1:0"))]
        },
        { "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123", ["arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"] },
    };

    [Theory]
    [MemberData(nameof(ModelIdForms))]
    public async Task Role_allows_exactly_streaming_invocation_of_the_chosen_model(string modelId, string[] expectedResources)
    {
        var project = await CreateAsync("Iam", "--model-id", modelId);
        var function = project.FunctionProperties();

        var statements = function["Policies"]!.AsArray()
            .Select(p => p!.AsObject())
            .SelectMany(p => { Assert.True(p.ContainsKey("Statement"), "only inline policy documents: " + p.ToJsonString()); return p["Statement"]!.AsArray(); })
            .Select(s => s!.AsObject())
            .ToList();
        Assert.All(statements, s =>
        {
            Assert.Equal("Allow", (string?)s["Effect"]);
            Assert.Equal("bedrock:InvokeModelWithResponseStream", (string?)s["Action"]);
        });
        var resources = statements.SelectMany(s => s["Resource"]!.AsArray()).Select(ResourceText).ToList();
        Assert.Equal(expectedResources.Order(StringComparer.Ordinal), resources.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(resources, r => r.Contains('*'));
        Assert.Equal(modelId, (string?)function["Environment"]!["Variables"]!["MODEL_ID"]);

        // The Region-less ARN of a global profile is usable only for the cross-Region hop.
        var regionless = statements.Where(s => s["Resource"]!.AsArray().Select(ResourceText).Any(r => r.Contains("bedrock:::"))).ToList();
        Assert.All(regionless, s => Assert.Equal("unspecified", (string?)s["Condition"]!["StringEquals"]!["aws:RequestedRegion"]));
    }

    private static string ResourceText(JsonNode? resource) => resource switch
    {
        JsonValue value => value.GetValue<string>(),
        JsonObject sub when sub.ContainsKey("Fn::Sub") => (string)sub["Fn::Sub"]!,
        _ => throw new Xunit.Sdk.XunitException("unexpected resource form: " + resource?.ToJsonString()),
    };

    private static async Task<GeneratedProject> CreateAsync(string name, params string[] options)
    {
        var pack = await TemplatePackage.Shared;
        return new GeneratedProject(await pack.CreateAsync(name, ["--tests", "false", .. options]), name);
    }
}
