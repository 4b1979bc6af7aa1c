// A response-streaming handler written as AWS documents it for Node.js
// (https://docs.aws.amazon.com/lambda/latest/dg/config-rs-write-functions.html). The pack's tests run it with AWS's
// runtime interface client (aws-lambda-ric) as the function of a generated project's local host.
//
// It writes its next chunk only once the test's HTTP client has read the previous one (the test touches
// read-<n> in the folder the function runs in), so a host that buffered would deadlock into the wait's
// time-out rather than pass, and chunks cannot share a read however slow the machine.
const fs = require('node:fs');
const path = require('node:path');

const chunks = 5;
const ackTimeoutMs = 30000;

async function clientHasRead(n) {
  const file = path.join(process.env.LAMBDA_TASK_ROOT || process.cwd(), `read-${n}`);
  const deadline = Date.now() + ackTimeoutMs;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 200,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Streamed-By': 'aws-lambda-ric' },
  });
  for (let i = 1; i <= chunks; i++) {
    stream.write(`${event.requestContext.http.method} chunk ${i} of ${chunks}\n`);
    if (i < chunks && !(await clientHasRead(i))) {
      stream.write(`the client never read chunk ${i}: the host held it back\n`);
      break;
    }
  }
  stream.end();
});
