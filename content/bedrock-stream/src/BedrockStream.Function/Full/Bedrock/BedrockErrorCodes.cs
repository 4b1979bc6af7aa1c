namespace BedrockStream.Function.Bedrock;

/// <summary>Error codes this client adds to <see cref="ModelErrorCodes"/> for failures before any request is sent.</summary>
public static class BedrockErrorCodes
{
    /// <summary>The credentials chain found nothing (or failed) — no request was sent.</summary>
    public const string CredentialsError = "CredentialsError";

    /// <summary>The SDK failed on the client side for another reason (configuration, endpoint resolution, …).</summary>
    public const string ClientError = "ClientError";
}
