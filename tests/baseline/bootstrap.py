#!/usr/bin/env python3
"""The benchmark's baseline: a streaming custom runtime written the way the well-known blog recipe does it
("Streaming Amazon Bedrock with AWS Lambda on a custom python runtime", antstackio/a2lrs): a `while True`
loop, `requests.get` on /invocation/next, and `requests.post` of a generator to /response with
`Lambda-Runtime-Function-Response-Mode: streaming` (requests sends a generator body chunked, one chunk per
yield). It calls the same ConverseStream endpoint as the C# function, over plain HTTP and unsigned (the
benchmark's fake model does not check signatures), and splits the AWS event-stream by its length prefixes.

Beyond the recipe, only what the local host's emulator needs to treat it like the real function: the
HTTP-integration prelude (JSON + 8 NUL bytes) first, and the same SSE framing (`data: {"text":...}`).
"""
import json
import os
import struct
import urllib.parse

import requests

RUNTIME = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
BEDROCK = os.environ.get("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "https://bedrock-runtime.us-east-1.amazonaws.com")
MODEL_ID = os.environ.get("MODEL_ID", "us.amazon.nova-2-lite-v1:0")
PRELUDE = json.dumps({"statusCode": 200, "headers": {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}}).encode() + b"\0" * 8


def event_headers(raw):
    """The string headers of one event-stream message (name, type 7 = string, 2-byte length, value)."""
    headers, i = {}, 0
    while i < len(raw):
        name_len = raw[i]
        name = raw[i + 1:i + 1 + name_len].decode()
        i += 1 + name_len
        kind = raw[i]
        i += 1
        if kind not in (6, 7):  # the ConverseStream frames only carry strings
            break
        (value_len,) = struct.unpack_from(">H", raw, i)
        headers[name] = raw[i + 2:i + 2 + value_len].decode()
        i += 2 + value_len
    return headers


def frames(response):
    """(headers, payload) per message: total length (4) + headers length (4) + prelude CRC (4), headers, payload, CRC (4)."""
    buffer = bytearray()
    for data in response.iter_content(chunk_size=None):
        buffer += data
        while len(buffer) >= 12:
            total, headers_len = struct.unpack_from(">II", buffer)
            if len(buffer) < total:
                break
            headers = event_headers(bytes(buffer[12:12 + headers_len]))
            payload = bytes(buffer[12 + headers_len:total - 4])
            del buffer[:total]
            yield headers, payload


def handler(event):
    body = json.loads(event.get("body") or "{}")
    request = {
        "messages": [{"role": "user", "content": [{"text": body.get("prompt", "")}]}],
        "inferenceConfig": {"maxTokens": body.get("maxTokens", 1024)},
    }
    url = BEDROCK + "/model/" + urllib.parse.quote(MODEL_ID, safe="") + "/converse-stream"
    response = requests.post(url, json=request, stream=True)
    yield PRELUDE
    stop_reason = None
    for headers, payload in frames(response):
        kind = headers.get(":event-type")
        if kind == "contentBlockDelta":
            text = json.loads(payload)["delta"].get("text", "")
            yield b"data: " + json.dumps({"text": text}, ensure_ascii=False).encode() + b"\n\n"
        elif kind == "messageStop":
            stop_reason = json.loads(payload).get("stopReason")
    yield b"event: done\ndata: " + json.dumps({"stopReason": stop_reason}).encode() + b"\n\n"


while True:
    invocation = requests.get(RUNTIME + "/invocation/next")
    request_id = invocation.headers["Lambda-Runtime-Aws-Request-Id"]
    try:
        requests.post(
            RUNTIME + "/invocation/" + request_id + "/response",
            data=handler(invocation.json()),
            headers={"Lambda-Runtime-Function-Response-Mode": "streaming", "Transfer-Encoding": "chunked"},
        )
    except Exception as error:  # the recipe has no error path; this keeps one failure from ending the loop
        requests.post(RUNTIME + "/invocation/" + request_id + "/error",
                      json={"errorType": type(error).__name__, "errorMessage": str(error)})
