// A response-streaming handler written as AWS documents it for Node.js
// (https://docs.aws.amazon.com/lambda/latest/dg/config-rs-write-functions.html). The pack's tests run it with AWS's
// runtime interface client (aws-lambda-ric) as the function of a generated project's local host.
const chunks = 5;
const pauseMs = 250;

exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 200,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Streamed-By': 'aws-lambda-ric' },
  });
  for (let i = 1; i <= chunks; i++) {
    stream.write(`${event.requestContext.http.method} chunk ${i} of ${chunks}\n`);
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  stream.end();
});
