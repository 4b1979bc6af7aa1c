// The benchmark's Node.js peer: what a Node.js user would deploy for the same job, a container-image function
// run by the AWS Lambda Runtime Interface Client (aws-lambda-ric, started with _HANDLER=index.handler and
// LAMBDA_TASK_ROOT = this folder) that streams a ConverseStream answer with Lambda response streaming.
// Its answer is framed like the template's (`data: {"text":"..."}` per delta, then `event: done`), so that the
// benchmark compares like with like.
//
// Written the way the AWS documentation shows it: the `awslambda` global that the runtime client installs,
// `streamifyResponse` + `HttpResponseStream.from` for the HTTP prelude
// (https://docs.aws.amazon.com/lambda/latest/dg/config-rs-write-functions.html), and the SDK's
// ConverseStreamCommand (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html).
import { BedrockRuntimeClient, ConverseStreamCommand } from "@aws-sdk/client-bedrock-runtime";
import { NodeHttpHandler } from "@smithy/node-http-handler";

// Region, credentials and endpoint come from the environment as on Lambda: AWS_REGION, AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, and AWS_ENDPOINT_URL_BEDROCK_RUNTIME (the SDKs' service-specific
// endpoint variable, which the benchmark points at its fake model).
//
// HTTP/1.1 on purpose: since 3.798.0 this client defaults to NodeHttp2Handler (aws/aws-sdk-js-v3#7041), and the
// benchmark's fake Bedrock speaks HTTP/1.1 only (over TLS it offers no "h2" in ALPN). The C# function and the
// Python recipe talk HTTP/1.1 to Bedrock as well, so every runtime pays for the same protocol. NodeHttpHandler
// keeps its connections alive, as the SDK's default agent does.
const client = new BedrockRuntimeClient({ requestHandler: new NodeHttpHandler() });
const modelId = process.env.MODEL_ID ?? "us.amazon.nova-2-lite-v1:0";

export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? "", "base64").toString("utf8") : event.body;
  const request = JSON.parse(raw || "{}");
  const response = await client.send(new ConverseStreamCommand({
    modelId,
    messages: [{ role: "user", content: [{ text: request.prompt ?? "" }] }],
    inferenceConfig: { maxTokens: request.maxTokens ?? 1024 },
  }));

  // The prelude (status and headers) goes out with the first write.
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 200,
    headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" },
  });
  let stopReason = null;
  for await (const item of response.stream) {
    if (item.contentBlockDelta?.delta?.text !== undefined) {
      stream.write(`data: ${JSON.stringify({ text: item.contentBlockDelta.delta.text })}\n\n`);
    } else if (item.messageStop) {
      stopReason = item.messageStop.stopReason;
    }
  }
  stream.write(`event: done\ndata: ${JSON.stringify({ stopReason })}\n\n`);
  stream.end();
});
