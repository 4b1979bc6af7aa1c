namespace BedrockStream.Function.Local;

/// <summary>Header names of the Lambda Runtime API (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).</summary>
internal static class RuntimeApiHeaders
{
    public const string RequestId = "Lambda-Runtime-Aws-Request-Id";
    public const string DeadlineMs = "Lambda-Runtime-Deadline-Ms";
    public const string InvokedFunctionArn = "Lambda-Runtime-Invoked-Function-Arn";
    public const string TraceId = "Lambda-Runtime-Trace-Id";
    public const string ResponseMode = "Lambda-Runtime-Function-Response-Mode";
    public const string StreamingResponseMode = "streaming";
    public const string ErrorType = "Lambda-Runtime-Function-Error-Type";
    public const string ErrorTypeTrailer = "Lambda-Runtime-Function-Error-Type";
    public const string ErrorBodyTrailer = "Lambda-Runtime-Function-Error-Body";
}

/// <summary>The bodies a real Function URL answers with when the function itself could not (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html).</summary>
internal static class FunctionUrlErrors
{
    public const string InternalServerError = "{\"Message\":\"Internal Server Error\"}";
    public const string Timeout = "{\"Message\":\"Endpoint request timed out\"}";
    public const string TooLarge = "{\"Message\":\"Request must be smaller than 6291456 bytes for the InvokeFunction operation\"}";
}

/// <summary>
/// What a REST API answers when the function could not: API Gateway's own bodies, lower-case <c>message</c>
/// (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html).
/// </summary>
internal static class RestApiErrors
{
    public const string InternalServerError = "{\"message\":\"Internal server error\"}";
    public const string Timeout = "{\"message\":\"Endpoint request timed out\"}";

    /// <summary>The REST API's body for a failure the host describes in the Function URL's words.</summary>
    public static string For(int statusCode, string functionUrlBody) => statusCode switch
    {
        502 => InternalServerError,
        504 => Timeout,
        _ => functionUrlBody,
    };
}
