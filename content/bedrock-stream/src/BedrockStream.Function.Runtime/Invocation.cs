namespace BedrockStream.Function.Runtime;

/// <summary>One invocation handed out by the Lambda Runtime API (<c>GET /runtime/invocation/next</c>).</summary>
/// <param name="RequestId">The <c>Lambda-Runtime-Aws-Request-Id</c> header.</param>
/// <param name="Deadline">The <c>Lambda-Runtime-Deadline-Ms</c> header: when Lambda stops the function.</param>
/// <param name="FunctionArn">The <c>Lambda-Runtime-Invoked-Function-Arn</c> header.</param>
/// <param name="TraceId">The <c>Lambda-Runtime-Trace-Id</c> header, if any.</param>
/// <param name="Payload">The event: for a Function URL, a payload-2.0 JSON document; behind a REST API, a payload-1.0 one.</param>
public sealed record Invocation(
    string RequestId,
    DateTimeOffset Deadline,
    string FunctionArn,
    string? TraceId,
    ReadOnlyMemory<byte> Payload);
