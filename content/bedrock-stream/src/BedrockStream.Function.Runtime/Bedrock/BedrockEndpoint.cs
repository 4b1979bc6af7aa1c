namespace BedrockStream.Function.Runtime;

/// <summary>Where the Bedrock Runtime API lives for this process: region and base URL.</summary>
public sealed record BedrockEndpoint(Uri BaseUri, string Region)
{
    /// <summary>The region used when neither <c>AWS_REGION</c> nor <c>AWS_DEFAULT_REGION</c> is set.</summary>
    public const string DefaultRegion = "us-east-1";

    /// <summary>
    /// Resolves the region and endpoint the way the AWS SDKs do: <c>AWS_REGION</c> (set by Lambda),
    /// then <c>AWS_DEFAULT_REGION</c>; the endpoint from <c>AWS_ENDPOINT_URL_BEDROCK_RUNTIME</c>,
    /// then <c>AWS_ENDPOINT_URL</c> (the SDKs' service-specific endpoints, https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html, honoured unless
    /// <c>AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true</c>), else the public regional endpoint.
    /// </summary>
    public static BedrockEndpoint FromEnvironment() => Resolve(Environment.GetEnvironmentVariable);

    /// <summary><see cref="FromEnvironment"/> over any variable source (tests pass a dictionary).</summary>
    public static BedrockEndpoint Resolve(Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        string? Get(string name) => getVariable(name) is { Length: > 0 } v ? v.Trim() : null;

        string region = Get("AWS_REGION") ?? Get("AWS_DEFAULT_REGION") ?? DefaultRegion;

        bool ignoreOverrides = string.Equals(Get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true", StringComparison.OrdinalIgnoreCase);
        string? configured = ignoreOverrides ? null : Get("AWS_ENDPOINT_URL_BEDROCK_RUNTIME") ?? Get("AWS_ENDPOINT_URL");
        if (configured is not null)
        {
            if (!Uri.TryCreate(configured, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            {
                throw new ConfigurationException($"The configured Bedrock endpoint '{configured}' is not an absolute http(s) URL.");
            }

            return new BedrockEndpoint(uri, region);
        }

        return new BedrockEndpoint(DefaultUri(region), region);
    }

    /// <summary><c>bedrock-runtime.{region}.amazonaws.com</c>, <c>.com.cn</c> in the China partition (https://docs.aws.amazon.com/general/latest/gr/bedrock.html).</summary>
    public static Uri DefaultUri(string region)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        string suffix = region.StartsWith("cn-", StringComparison.Ordinal) ? "amazonaws.com.cn" : "amazonaws.com";
        return new Uri($"https://bedrock-runtime.{region}.{suffix}");
    }
}
