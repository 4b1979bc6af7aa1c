using System.Text;
using Amazon.Runtime;
using BedrockStream.Function.Runtime;

namespace BedrockStream.Function.Tests.Bedrock;

/// <summary>A SigV4 vector for a ConverseStream POST computed by botocore (the AWS SDK for Python), copied here verbatim.</summary>
public class SigV4SignerTests
{
    private const string Body = """{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":64}}""";
    private const string Url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream";
    private const string Secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    private const string ExpectedCanonicalRequest =
        "POST\n" +
        "/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse-stream\n" +
        "\n" +
        "content-type:application/json\n" +
        "host:bedrock-runtime.us-east-1.amazonaws.com\n" +
        "x-amz-date:20260115T120000Z\n" +
        "\n" +
        "content-type;host;x-amz-date\n" +
        "9b977f77f8594ff18839b11b0b840c32db10bf33c4f0d240c5c86a865fe24292";

    private const string ExpectedStringToSign =
        "AWS4-HMAC-SHA256\n" +
        "20260115T120000Z\n" +
        "20260115/us-east-1/bedrock/aws4_request\n" +
        "c5dd7bdb0a54d73c1d89596fdd4b2ccb3f338ca264cd2b5eda6607dd3139ca8d";

    private const string ExpectedSignature = "2b14bdc7fa65095d0d061e9bd33ef0d5e5f55c461c8b943064e3fedc136ac8e8";

    private static SigV4Headers SignVector(ImmutableCredentials credentials) =>
        SigV4Signer.SignPost(new Uri(Url), "bedrock-runtime.us-east-1.amazonaws.com", Encoding.UTF8.GetBytes(Body),
            credentials, "us-east-1", FixedTime.VectorDate.UtcDateTime);

    [Fact]
    public void Reproduces_the_vector_canonical_request()
    {
        SigV4Headers headers = SignVector(new ImmutableCredentials("AKIDEXAMPLE", Secret, null));
        Assert.Equal(ExpectedCanonicalRequest, headers.CanonicalRequest);
    }

    [Fact]
    public void Reproduces_the_vector_string_to_sign()
    {
        SigV4Headers headers = SignVector(new ImmutableCredentials("AKIDEXAMPLE", Secret, null));
        string hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(headers.CanonicalRequest))).ToLowerInvariant();
        Assert.Equal(ExpectedStringToSign, $"AWS4-HMAC-SHA256\n{headers.AmzDate}\n20260115/us-east-1/bedrock/aws4_request\n{hash}");
    }

    [Fact]
    public void Reproduces_the_vector_signature_and_authorization_header()
    {
        SigV4Headers headers = SignVector(new ImmutableCredentials("AKIDEXAMPLE", Secret, null));
        Assert.Equal("20260115T120000Z", headers.AmzDate);
        Assert.Null(headers.SecurityToken);
        Assert.Equal(
            $"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260115/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature={ExpectedSignature}",
            headers.Authorization);
    }

    [Fact]
    public void The_test_reference_implementation_agrees_with_the_vector()
    {
        // ReferenceSigV4 checks requests seen by the fake server; it must be right too.
        string signature = ReferenceSigV4.Signature("POST", new Uri(Url).AbsolutePath, "bedrock-runtime.us-east-1.amazonaws.com",
            "application/json", "20260115T120000Z", null, Encoding.UTF8.GetBytes(Body), Secret, "us-east-1", "bedrock");
        Assert.Equal(ExpectedSignature, signature);
    }

    [Fact]
    public void Session_credentials_sign_the_security_token()
    {
        SigV4Headers headers = SignVector(new ImmutableCredentials("ASIAEXAMPLE", Secret, "session-token/with+chars="));
        Assert.Equal("session-token/with+chars=", headers.SecurityToken);
        Assert.Contains("\nx-amz-security-token:session-token/with+chars=\n\ncontent-type;host;x-amz-date;x-amz-security-token\n", headers.CanonicalRequest, StringComparison.Ordinal);
        Assert.Contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,", headers.Authorization, StringComparison.Ordinal);
        string expected = ReferenceSigV4.Signature("POST", new Uri(Url).AbsolutePath, "bedrock-runtime.us-east-1.amazonaws.com",
            "application/json", "20260115T120000Z", "session-token/with+chars=", Encoding.UTF8.GetBytes(Body), Secret, "us-east-1", "bedrock");
        Assert.EndsWith("Signature=" + expected, headers.Authorization, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream", "/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse-stream")]
    [InlineData("/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.amazon.nova-lite-v1%3A0/converse-stream",
                "/model/arn%253Aaws%253Abedrock%253Aus-east-1%253A123456789012%253Ainference-profile%252Fus.amazon.nova-lite-v1%253A0/converse-stream")]
    [InlineData("/model/plain-id_1.0~x/converse-stream", "/model/plain-id_1.0~x/converse-stream")]
    [InlineData("", "/")]
    public void Canonical_uri_encodes_the_escaped_path_again(string escapedPath, string expected)
    {
        Assert.Equal(expected, SigV4Signer.CanonicalUri(escapedPath));
    }
}
