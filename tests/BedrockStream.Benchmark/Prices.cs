namespace BedrockStream.Benchmark;

/// <summary>
/// Published on-demand prices in US East (N. Virginia), read on 2026-12-02. Check them again before quoting a cost:
/// the pages change, and both render their price tables in the browser, so a saved copy of either shows no figures.
/// The figures below were taken from transcriptions of those tables that agree with each other (for Lambda: the
/// duration and request rates quoted in AWS's own worked examples and in several pricing write-ups; for Nova 2 Lite:
/// the per-token rates of LiteLLM's model price table for amazon.nova-2-lite-v1:0 and of OpenRouter's listing).
/// </summary>
internal static class Prices
{
    public const string ReadOn = "2026-12-02";

    /// <summary>https://aws.amazon.com/lambda/pricing/ : duration, first tier (6 billion GB-s a month on x86, 7.5 billion on Arm).</summary>
    public const double LambdaX86PerGbSecond = 0.0000166667;

    public const double LambdaArmPerGbSecond = 0.0000133334;

    /// <summary>Same page: requests, either architecture.</summary>
    public const double LambdaPerRequest = 0.20 / 1_000_000;

    public const string LambdaSource = "https://aws.amazon.com/lambda/pricing/";

    /// <summary>https://aws.amazon.com/bedrock/pricing/ : Amazon Nova 2 Lite, on-demand (standard tier), per 1,000 tokens.</summary>
    public const double NovaLiteInputPer1k = 0.0003;

    public const double NovaLiteOutputPer1k = 0.0025;

    public const string BedrockSource = "https://aws.amazon.com/bedrock/pricing/";

    /// <summary>
    /// The share of invocations that start an execution environment: "INITs (cold starts) typically occur in under
    /// 1% of invocations", AWS's figure when it began billing the INIT phase of every function
    /// (https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/); a custom runtime's or a
    /// container image's INIT phase was billed before that already.
    /// </summary>
    public const double ColdStartShare = 0.01;

    public const string InitBillingSource = "https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/";
}
