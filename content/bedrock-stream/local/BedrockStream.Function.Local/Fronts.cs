using System.Security.Cryptography;
using System.Text;

namespace BedrockStream.Function.Local;

/// <summary>The front door the project deploys (<c>dotnet new bedrock-stream --front</c>), which the local host plays.</summary>
public enum FrontKind
{
    /// <summary>A Lambda Function URL: payload format 2.0 events.</summary>
    FunctionUrl,
    /// <summary>An API Gateway REST API with response streaming: payload format 1.0 events, API keys.</summary>
    RestApi,
    /// <summary>CloudFront with Origin Access Control in front of a Function URL: 2.0 events, a POST body must come with its SHA-256.</summary>
    CloudFront,
}

/// <summary>An answer the front gives itself, before (and instead of) invoking the function.</summary>
internal sealed record FrontRejection(int StatusCode, string Body, string ErrorType, string Reason)
{
    public async Task WriteAsync(HttpResponse response)
    {
        response.StatusCode = StatusCode;
        response.ContentType = "application/json";
        response.Headers["x-amzn-ErrorType"] = ErrorType;
        await response.WriteAsync(Body);
    }
}

/// <summary>What each front checks before it invokes the function.</summary>
internal static class FrontRules
{
    /// <summary>The REST API's one resource: the stage's root, any method (template.yaml's Api event).</summary>
    public const string RestApiPath = "/";

    /// <summary>The REST API of an OpenAI-compatible function (<c>--format openai</c>): every path below the stage, any method.</summary>
    public const string RestApiProxyResource = "/{proxy+}";

    /// <summary>The REST API without a matching resource: the body of API Gateway's 403 (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html).</summary>
    public static readonly FrontRejection NoSuchResource =
        new(403, "{\"message\":\"Missing Authentication Token\"}", "MissingAuthenticationTokenException", "no such resource");

    /// <summary>A missing or unknown API key: the REST API's 403, INVALID_API_KEY (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html).</summary>
    public static readonly FrontRejection InvalidApiKey =
        new(403, "{\"message\":\"Forbidden\"}", "ForbiddenException", "missing or wrong x-api-key");

    /// <summary>
    /// A body whose SHA-256 CloudFront did not get in <c>x-amz-content-sha256</c>: the signature it makes for the Function
    /// URL does not match, and Lambda answers 403 (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-lambda.html).
    /// </summary>
    public static readonly FrontRejection BodyHashMismatch = new(403,
        "{\"message\":\"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\"}",
        "InvalidSignatureException", "x-amz-content-sha256 missing or not the SHA-256 of the body");

    /// <summary>Null when <paramref name="front"/> lets the request through to the function.</summary>
    public static FrontRejection? Check(FrontKind front, HttpRequest request, byte[] body, string? apiKey, string restApiResource = RestApiPath) => front switch
    {
        FrontKind.RestApi when restApiResource == RestApiPath && request.Path.Value is not RestApiPath => NoSuchResource,
        // {proxy+} matches one or more path segments, not the stage's root.
        FrontKind.RestApi when restApiResource == RestApiProxyResource && request.Path.Value is null or "" or "/" => NoSuchResource,
        FrontKind.RestApi when apiKey is not null && !KeyMatches(request.Headers["x-api-key"].ToString(), apiKey) => InvalidApiKey,
        FrontKind.CloudFront when !BodyHashMatches(request.Headers["x-amz-content-sha256"].ToString(), body) => BodyHashMismatch,
        _ => null,
    };

    private static bool KeyMatches(string sent, string expected) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(sent), Encoding.UTF8.GetBytes(expected));

    /// <summary>
    /// Origin Access Control signs the request with the viewer's <c>x-amz-content-sha256</c> (lower-case hex, as SigV4 has
    /// it) and Lambda checks it against the body; without the header only an empty body gets through.
    /// </summary>
    internal static bool BodyHashMatches(string sent, byte[] body)
    {
        if (sent.Length == 0)
            return body.Length == 0;
        return sent == Convert.ToHexString(SHA256.HashData(body)).ToLowerInvariant();
    }

    /// <summary>How the host's output names the front.</summary>
    public static string Label(FrontKind front) => front switch
    {
        FrontKind.RestApi => "REST API",
        FrontKind.CloudFront => "CloudFront",
        _ => "Function URL",
    };

    /// <summary>The front's name in <c>--front</c>.</summary>
    public static string Name(FrontKind front) => front switch
    {
        FrontKind.RestApi => "rest-api",
        FrontKind.CloudFront => "cloudfront",
        _ => "url",
    };

    public static bool TryParse(string name, out FrontKind front)
    {
        front = name switch
        {
            "url" => FrontKind.FunctionUrl,
            "rest-api" => FrontKind.RestApi,
            "cloudfront" => FrontKind.CloudFront,
            _ => (FrontKind)(-1),
        };
        return Enum.IsDefined(front);
    }
}
