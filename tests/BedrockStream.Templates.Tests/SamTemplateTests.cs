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

    public static TheoryData<string, string, string> EveryFrontAuthAndPackageType => new()
    {
        { "url", "AWS_IAM", "image" }, { "url", "AWS_IAM", "zip" },
        { "url", "NONE", "image" }, { "url", "NONE", "zip" },
        { "rest-api", "AWS_IAM", "image" }, { "rest-api", "AWS_IAM", "zip" },
        { "rest-api", "NONE", "image" }, { "rest-api", "NONE", "zip" },
        { "rest-api", "API_KEY", "image" }, { "rest-api", "API_KEY", "zip" },
        { "cloudfront", "NONE", "image" }, { "cloudfront", "NONE", "zip" },
    };

    [Theory]
    [MemberData(nameof(EveryFrontAuthAndPackageType))]
    public async Task Every_front_auth_and_package_type_is_valid_SAM_without_a_wildcard_resource(string front, string auth, string packageType)
    {
        var project = await FrontAsync(front, auth, packageType);
        var template = project.SamTemplate();

        var errors = await SamSchema.ValidateAsync(template);

        Assert.True(errors.Count == 0, string.Join('\n', errors));
        var wildcards = Walk(template).Where(p => p.Name is "Resource" or "SourceArn" && ResourceTexts(p.Value).Any(r => r.Contains('*'))).ToList();
        Assert.True(wildcards.Count == 0, "wildcard resources: " + string.Join(", ", wildcards.Select(w => w.Value!.ToJsonString())));
        Assert.DoesNotContain("AdministratorAccess", project.Read("template.yaml"));
    }

    [Theory]
    [InlineData("API_KEY")]
    [InlineData("AWS_IAM")]
    [InlineData("NONE")]
    public async Task Rest_api_front_is_a_regional_streaming_api_with_the_functions_timeout_and_no_function_url(string auth)
    {
        var project = await FrontAsync("rest-api", auth);
        var template = project.SamTemplate();
        var resources = template["Resources"]!.AsObject();
        var function = project.FunctionProperties();

        Assert.False(function.ContainsKey("FunctionUrlConfig"), "a REST API front has no Function URL");
        var chat = Assert.Single(function["Events"]!.AsObject()).Value!.AsObject();
        Assert.Equal("Api", (string?)chat["Type"]);
        var properties = chat["Properties"]!.AsObject();
        Assert.Equal("StreamingApi", (string?)properties["RestApiId"]!["Ref"]);
        Assert.Equal("/", (string?)properties["Path"]);
        Assert.Equal("ANY", (string?)properties["Method"]);
        Assert.Equal("RESPONSE_STREAM", (string?)properties["ResponseTransferMode"]);
        Assert.Equal(120_000, (long)properties["TimeoutInMillis"]!);
        Assert.Equal(120, (long)function["Timeout"]!);

        var api = resources["StreamingApi"]!.AsObject();
        Assert.Equal("AWS::Serverless::Api", (string?)api["Type"]);
        var apiProperties = api["Properties"]!.AsObject();
        Assert.Equal("REGIONAL", (string?)apiProperties["EndpointConfiguration"]!["Type"]);
        Assert.Equal("prod", (string?)apiProperties["StageName"]);
        Assert.False(string.IsNullOrEmpty((string?)apiProperties["OpenApiVersion"]), "without an OpenApiVersion SAM adds a stage named Stage");
        Assert.False(apiProperties.ContainsKey("Cors"));

        var outputs = template["Outputs"]!.AsObject();
        Assert.False(outputs.ContainsKey("FunctionUrl"));
        var apiUrl = (string)outputs["ApiUrl"]!["Value"]!["Fn::Sub"]!;
        Assert.Contains("${StreamingApi}.execute-api.${AWS::Region}", apiUrl);
        Assert.EndsWith("/prod/", apiUrl);
        Assert.DoesNotContain(resources, r => (string?)r.Value!["Type"] == "AWS::Lambda::Permission");
        Assert.Equal("0", (string?)function["Environment"]!["Variables"]!["HEARTBEAT_SECONDS"]);
        Assert.Contains("DeployedFront = FrontKind.RestApi;", project.Read($"local/{project.Name}.Local/CommandLine.cs"));
        Assert.Contains($"DeployedApiKeyRequired = {(auth == "API_KEY" ? "true" : "false")};", project.Read($"local/{project.Name}.Local/CommandLine.cs"));

        var apiAuth = apiProperties["Auth"] as JsonObject;
        switch (auth)
        {
            case "API_KEY":
                Assert.True((bool)apiAuth!["ApiKeyRequired"]!);
                var plan = apiAuth["UsagePlan"]!.AsObject();
                Assert.Equal("PER_API", (string?)plan["CreateUsagePlan"]);
                Assert.Equal("ThrottleRateLimit", (string?)plan["Throttle"]!["RateLimit"]!["Ref"]);
                Assert.Equal("ThrottleBurstLimit", (string?)plan["Throttle"]!["BurstLimit"]!["Ref"]);
                Assert.Equal("QuotaLimit", (string?)plan["Quota"]!["Limit"]!["Ref"]);
                Assert.Equal("QuotaPeriod", (string?)plan["Quota"]!["Period"]!["Ref"]);
                var parameters = template["Parameters"]!.AsObject();
                foreach (var name in new[] { "ThrottleRateLimit", "ThrottleBurstLimit", "QuotaLimit" })
                {
                    Assert.Equal("Number", (string?)parameters[name]!["Type"]);
                    Assert.True((long)parameters[name]!["Default"]! > 0, name + " must throttle by default");
                }
                Assert.Equal("String", (string?)parameters["QuotaPeriod"]!["Type"]);
                Assert.Equal("StreamingApiApiKey", (string?)outputs["ApiKeyId"]!["Value"]!["Ref"]);
                Assert.Contains("get-api-key", (string?)outputs["ApiKeyId"]!["Description"]);
                break;
            case "AWS_IAM":
                Assert.Equal("AWS_IAM", (string?)apiAuth!["DefaultAuthorizer"]);
                // API Gateway invokes the function with SAM's permission, not the caller's credentials.
                Assert.Equal("NONE", (string?)apiAuth["InvokeRole"]);
                Assert.False(apiAuth.ContainsKey("ApiKeyRequired"));
                Assert.False(template.ContainsKey("Parameters"));
                Assert.False(outputs.ContainsKey("ApiKeyId"));
                break;
            default:
                Assert.Null(apiAuth);
                Assert.False(template.ContainsKey("Parameters"));
                break;
        }
    }

    [Theory]
    [InlineData("sse", "15", "20")]
    [InlineData("text", "0", "0")]
    public async Task Cloudfront_front_keeps_the_url_aws_iam_behind_a_distribution_that_alone_may_call_it(string format, string heartbeat, string startAfter)
    {
        var project = format == "sse" ? await FrontAsync("cloudfront", "NONE") : await CreateAsync("Edge", "--front", "cloudfront", "--auth", "NONE", "--format", format);
        var template = project.SamTemplate();
        var resources = template["Resources"]!.AsObject();
        var function = project.FunctionProperties();

        var url = function["FunctionUrlConfig"]!.AsObject();
        Assert.Equal("AWS_IAM", (string?)url["AuthType"]);
        Assert.Equal("RESPONSE_STREAM", (string?)url["InvokeMode"]);
        Assert.False(url.ContainsKey("Cors"));
        Assert.False(function.ContainsKey("Events"));

        var oac = resources["FunctionUrlOriginAccessControl"]!.AsObject();
        Assert.Equal("AWS::CloudFront::OriginAccessControl", (string?)oac["Type"]);
        var oacConfig = oac["Properties"]!["OriginAccessControlConfig"]!.AsObject();
        Assert.Equal("lambda", (string?)oacConfig["OriginAccessControlOriginType"]);
        Assert.Equal("always", (string?)oacConfig["SigningBehavior"]);
        Assert.Equal("sigv4", (string?)oacConfig["SigningProtocol"]);

        var distribution = resources["Distribution"]!.AsObject();
        Assert.Equal("AWS::CloudFront::Distribution", (string?)distribution["Type"]);
        var config = distribution["Properties"]!["DistributionConfig"]!.AsObject();
        Assert.True((bool)config["Enabled"]!);
        var origin = Assert.Single(config["Origins"]!.AsArray())!.AsObject();
        Assert.Equal("FunctionUrlOriginAccessControl", (string?)origin["OriginAccessControlId"]!["Fn::GetAtt"]![0]);
        Assert.Equal("https-only", (string?)origin["CustomOriginConfig"]!["OriginProtocolPolicy"]);
        // The origin is the URL's host: the third part of https://<url-id>.lambda-url.<region>.on.aws/ split on "/".
        var domain = origin["DomainName"]!["Fn::Select"]!.AsArray();
        Assert.Equal(2, (long)domain[0]!);
        Assert.Equal(["StreamingFunctionUrl", "FunctionUrl"], domain[1]!["Fn::Split"]![1]!["Fn::GetAtt"]!.AsArray().Select(a => (string)a!));
        var behavior = config["DefaultCacheBehavior"]!.AsObject();
        Assert.Equal(origin["Id"]!.GetValue<string>(), (string?)behavior["TargetOriginId"]);
        Assert.Equal("https-only", (string?)behavior["ViewerProtocolPolicy"]);
        Assert.Equal("4135ea2d-6df8-44a3-9df3-4b5a84be39ad", (string?)behavior["CachePolicyId"]);            // CachingDisabled
        Assert.Equal("b689b0a8-53d0-40ab-baf2-68738e2966ac", (string?)behavior["OriginRequestPolicyId"]);    // AllViewerExceptHostHeader
        Assert.False((bool)behavior["Compress"]!);
        Assert.Contains("POST", behavior["AllowedMethods"]!.AsArray().Select(m => (string)m!));
        Assert.False(behavior.ContainsKey("ResponseHeadersPolicyId"));

        // Both permissions a Function URL needs since October 2025, for CloudFront, scoped to this distribution.
        var permissions = resources.Where(r => (string?)r.Value!["Type"] == "AWS::Lambda::Permission").Select(r => r.Value!["Properties"]!.AsObject()).ToList();
        Assert.Equal(2, permissions.Count);
        Assert.All(permissions, p =>
        {
            Assert.Equal("cloudfront.amazonaws.com", (string?)p["Principal"]);
            Assert.Equal("StreamingFunction", (string?)p["FunctionName"]!["Ref"]);
            Assert.Equal("arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}", (string?)p["SourceArn"]!["Fn::Sub"]);
        });
        var invokeUrl = Assert.Single(permissions, p => (string?)p["Action"] == "lambda:InvokeFunctionUrl");
        Assert.Equal("AWS_IAM", (string?)invokeUrl["FunctionUrlAuthType"]);
        var invoke = Assert.Single(permissions, p => (string?)p["Action"] == "lambda:InvokeFunction");
        Assert.True((bool)invoke["InvokedViaFunctionUrl"]!);

        var variables = function["Environment"]!["Variables"]!.AsObject();
        Assert.Equal(heartbeat, (string?)variables["HEARTBEAT_SECONDS"]);
        Assert.Equal(startAfter, (string?)variables["START_STREAM_AFTER_SECONDS"]);
        var outputs = template["Outputs"]!.AsObject();
        Assert.Equal("https://${Distribution.DomainName}/", (string?)outputs["DistributionUrl"]!["Value"]!["Fn::Sub"]);
        Assert.Contains("DeployedFront = FrontKind.CloudFront;", project.Read($"local/{project.Name}.Local/CommandLine.cs"));
    }

    [Fact]
    public async Task Url_front_has_no_cloudfront_or_api_gateway_resource_and_no_heartbeat()
    {
        var project = await FrontAsync("url", "AWS_IAM");
        var resources = project.SamTemplate()["Resources"]!.AsObject();

        Assert.Equal(["AWS::Logs::LogGroup", "AWS::Serverless::Function"], resources.Select(r => (string)r.Value!["Type"]!).Order(StringComparer.Ordinal));
        var variables = project.FunctionProperties()["Environment"]!["Variables"]!.AsObject();
        Assert.Equal("0", (string?)variables["HEARTBEAT_SECONDS"]);
        Assert.Equal("0", (string?)variables["START_STREAM_AFTER_SECONDS"]);
        Assert.Contains("DeployedFront = FrontKind.FunctionUrl;", project.Read($"local/{project.Name}.Local/CommandLine.cs"));
    }

    [Theory]
    [InlineData("url")]
    [InlineData("rest-api")]
    [InlineData("cloudfront")]
    public async Task Cors_origin_applies_to_whichever_front(string front)
    {
        const string origin = "https://chat.example.org";
        var project = await CreateAsync("Cors", "--front", front, "--auth", front == "cloudfront" ? "NONE" : "AWS_IAM", "--cors-origin", origin);
        var template = project.SamTemplate();
        var errors = await SamSchema.ValidateAsync(template);
        Assert.True(errors.Count == 0, string.Join('\n', errors));
        var resources = template["Resources"]!.AsObject();
        var function = project.FunctionProperties();
        var variables = function["Environment"]!["Variables"]!.AsObject();

        switch (front)
        {
            case "url":
                Assert.Equal([origin], function["FunctionUrlConfig"]!["Cors"]!["AllowOrigins"]!.AsArray().Select(o => (string)o!));
                Assert.False(variables.ContainsKey("CORS_ALLOW_ORIGIN"), "a Function URL adds the CORS headers itself");
                break;
            case "rest-api":
                var api = resources["StreamingApi"]!["Properties"]!.AsObject();
                Assert.Equal($"'{origin}'", (string?)api["Cors"]!["AllowOrigin"]);
                Assert.Contains("x-api-key", (string?)api["Cors"]!["AllowHeaders"]);
                foreach (var type in new[] { "DEFAULT_4XX", "DEFAULT_5XX" })
                    Assert.Equal($"'{origin}'", (string?)api["GatewayResponses"]![type]!["ResponseParameters"]!["Headers"]!["Access-Control-Allow-Origin"]);
                // The preflight carries no credentials.
                Assert.False((bool)api["Auth"]!["AddDefaultAuthorizerToCorsPreflight"]!);
                Assert.Equal(origin, (string?)variables["CORS_ALLOW_ORIGIN"]);
                break;
            case "cloudfront":
                var policy = resources["CorsResponseHeadersPolicy"]!.AsObject();
                Assert.Equal("AWS::CloudFront::ResponseHeadersPolicy", (string?)policy["Type"]);
                var cors = policy["Properties"]!["ResponseHeadersPolicyConfig"]!["CorsConfig"]!.AsObject();
                Assert.Equal([origin], cors["AccessControlAllowOrigins"]!["Items"]!.AsArray().Select(o => (string)o!));
                Assert.Contains("x-amz-content-sha256", cors["AccessControlAllowHeaders"]!["Items"]!.AsArray().Select(h => (string)h!));
                Assert.Equal("CorsResponseHeadersPolicy",
                    (string?)resources["Distribution"]!["Properties"]!["DistributionConfig"]!["DefaultCacheBehavior"]!["ResponseHeadersPolicyId"]!["Ref"]);
                Assert.False(function["FunctionUrlConfig"]!.AsObject().ContainsKey("Cors"));
                Assert.Equal(origin, (string?)variables["CORS_ALLOW_ORIGIN"]);
                break;
        }
    }

    [Fact]
    public async Task Rest_api_with_a_key_and_cors_lets_the_preflight_through_without_a_key()
    {
        var project = await CreateAsync("CorsKey", "--front", "rest-api", "--auth", "API_KEY", "--cors-origin", "*");
        var auth = project.SamTemplate()["Resources"]!["StreamingApi"]!["Properties"]!["Auth"]!.AsObject();

        Assert.True((bool)auth["ApiKeyRequired"]!);
        Assert.False((bool)auth["AddApiKeyRequiredToCorsPreflight"]!);
    }

    [Theory]
    [InlineData("rest-api", "API_KEY", "-H \"x-api-key: $API_KEY\"", "aws apigateway get-api-key --api-key \"$API_KEY_ID\" --include-value")]
    [InlineData("rest-api", "AWS_IAM", "--aws-sigv4 \"aws:amz:ap-southeast-2:execute-api\"", "execute-api:Invoke")]
    [InlineData("rest-api", "NONE", "curl -N \"$API_URL\"", "public")]
    [InlineData("cloudfront", "NONE", "-H \"x-amz-content-sha256: $(printf '%s' \"$BODY\" | sha256sum | cut -d' ' -f1)\"", "AWS WAF")]
    [InlineData("url", "AWS_IAM", "--aws-sigv4 \"aws:amz:ap-southeast-2:lambda\"", "lambda:InvokeFunctionUrl")]
    public async Task Readme_says_how_to_call_the_chosen_front(string front, string auth, string curl, string more)
    {
        var project = await FrontAsync(front, auth);
        var readme = project.Read("README.md");

        var call = readme[readme.IndexOf("## 4. Call it", StringComparison.Ordinal)..readme.IndexOf("### Request", StringComparison.Ordinal)];
        Assert.Contains("curl -N", call);
        Assert.Contains(curl, call);
        Assert.Contains(more, call);
        Assert.DoesNotContain("#if", readme);
        // Every front is explained, whichever was chosen, with its cost.
        foreach (var heading in new[] { "## Front doors", "**Function URL**", "**REST API**", "**CloudFront**", "### Heartbeats (CloudFront)" })
            Assert.Contains(heading, readme);
        Assert.Contains("https://aws.amazon.com/api-gateway/pricing/", readme);
        Assert.Contains("https://aws.amazon.com/cloudfront/pricing/", readme);
    }

    [Theory]
    [InlineData("rest-api", "API_KEY", "default_headers={\"x-api-key\": API_KEY}", "reads its key only from `x-api-key`")]
    [InlineData("url", "NONE", "base_url=\"http://127.0.0.1:5050/v1\"", "The endpoint is public")]
    [InlineData("url", "AWS_IAM", "new Uri(\"http://127.0.0.1:5050/v1\")", "SigV4-signed")]
    public async Task Format_openai_is_valid_SAM_whose_rest_api_forwards_every_path_and_its_readme_shows_openais_clients(string front, string auth, string client, string access)
    {
        var project = await CreateAsync("Compat", "--format", "openai", "--front", front, "--auth", auth);
        var template = project.SamTemplate();

        var errors = await SamSchema.ValidateAsync(template);
        Assert.True(errors.Count == 0, string.Join('\n', errors));
        var function = project.FunctionProperties();
        Assert.Equal("openai", (string?)function["Environment"]!["Variables"]!["RESPONSE_FORMAT"]);
        // The same streamed Bedrock call answers stream:false: the policy does not grow bedrock:InvokeModel.
        Assert.DoesNotContain("bedrock:InvokeModel\"", template.ToJsonString());
        Assert.Contains("bedrock:InvokeModelWithResponseStream", template.ToJsonString());
        if (front == "rest-api")
            Assert.Equal("/{proxy+}", (string?)Assert.Single(function["Events"]!.AsObject()).Value!["Properties"]!["Path"]);
        Assert.True(project.Exists("src/Compat/OpenAi/OpenAiProtocol.cs"));

        var readme = project.Read("README.md");
        Assert.DoesNotContain("#if", readme);
        var section = readme[readme.IndexOf("## OpenAI-compatible endpoint", StringComparison.Ordinal)..readme.IndexOf("## Reasoning, tools and prompt caching", StringComparison.Ordinal)];
        foreach (var expected in new[] { "from openai import OpenAI", "new OpenAI({", "using OpenAI.Chat;", "/v1/chat/completions", "data: [DONE]", "reasoning_effort", client, access })
            Assert.Contains(expected, section);
        // The key as a default header in all three clients, only where there is a key.
        foreach (var header in new[] { "default_headers=", "defaultHeaders:", "new ApiKeyHeader(" })
            Assert.Equal(front == "rest-api" && auth == "API_KEY", section.Contains(header, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Other_formats_have_no_openai_folder_or_section()
    {
        var project = await FrontAsync("url", "AWS_IAM");

        Assert.False(project.Exists("src/Front/OpenAi"));
        Assert.DoesNotContain("## OpenAI-compatible endpoint", project.Read("README.md"));
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
        Assert.Equal("80000", (string?)variables["DOTNET_GCgen0size"]); // a 512 KiB gen 0 budget (hexadecimal): resident memory
        Assert.Equal("100000", (string?)variables["DOTNET_GCRegionSize"]); // in 1 MiB regions

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

    /// <summary>Every property of the template, at any depth.</summary>
    private static IEnumerable<(string Name, JsonNode? Value)> Walk(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, value) in o)
                {
                    yield return (name, value);
                    foreach (var inner in Walk(value)) yield return inner;
                }
                break;
            case JsonArray a:
                foreach (var item in a)
                    foreach (var inner in Walk(item)) yield return inner;
                break;
        }
    }

    /// <summary>The texts of a Resource or SourceArn: a string, an !Sub, or a list of those.</summary>
    private static IEnumerable<string> ResourceTexts(JsonNode? value) => value switch
    {
        JsonArray list => list.SelectMany(ResourceTexts),
        JsonObject sub when sub.ContainsKey("Fn::Sub") && sub["Fn::Sub"] is JsonValue => [(string)sub["Fn::Sub"]!],
        JsonValue text => [text.GetValue<string>()],
        _ => [value?.ToJsonString() ?? ""],
    };

    private static string ResourceText(JsonNode? resource) => resource switch
    {
        JsonValue value => value.GetValue<string>(),
        JsonObject sub when sub.ContainsKey("Fn::Sub") => (string)sub["Fn::Sub"]!,
        _ => throw new Xunit.Sdk.XunitException("unexpected resource form: " + resource?.ToJsonString()),
    };

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<GeneratedProject>>> Fronts = new();

    /// <summary>
    /// One project per front, auth and package type (timeout 120 s, Region ap-southeast-2), shared by the tests of this
    /// class that only read it: a dotnet new each would cost the suite more than a minute.
    /// </summary>
    private static Task<GeneratedProject> FrontAsync(string front, string auth, string packageType = "image") =>
        Fronts.GetOrAdd($"{front} {auth} {packageType}", _ => new(() => CreateAsync("Front",
            "--front", front, "--auth", auth, "--package-type", packageType, "--timeout", "120", "--region", "ap-southeast-2"))).Value;

    private static async Task<GeneratedProject> CreateAsync(string name, params string[] options)
    {
        var pack = await TemplatePackage.Shared;
        return new GeneratedProject(await pack.CreateAsync(name, ["--tests", "false", .. options]), name);
    }
}
