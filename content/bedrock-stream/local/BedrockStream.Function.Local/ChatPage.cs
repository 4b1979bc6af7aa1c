namespace BedrockStream.Function.Local;

/// <summary>
/// The chat page at <c>GET /</c> of the Function URL front: one self-contained HTML file (no CDN, works
/// offline). It POSTs the prompt to the same origin and reads the answer with fetch + ReadableStream, so
/// text appears as the chunks arrive. It understands both framings: SSE (<c>data:</c>
/// lines, <c>event: done</c>, <c>event: error</c>) and plain text. Stable ids for browser tests:
/// #prompt, #send, #answer, #status, #error, #meta; <c>/#prompt=...</c> fills the prompt and sends it.
/// </summary>
internal static class ChatPage
{
    public static Task WriteAsync(HttpResponse response)
    {
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        return response.WriteAsync(Html);
    }

    public const string Html = """
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>BedrockStream.Function - local chat</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #1d1d1f; }
  h1 { font-size: 1.3rem; }
  textarea { width: 100%; box-sizing: border-box; font: inherit; padding: .5rem; }
  button { font: inherit; padding: .4rem 1.2rem; margin-top: .5rem; }
  #answer { white-space: pre-wrap; border: 1px solid #ccc; border-radius: 6px; padding: .75rem; min-height: 6rem; margin-top: 1rem; }
  #status { color: #555; font-size: .9rem; margin-top: .5rem; }
  #error { color: #b00020; font-weight: 600; margin-top: .5rem; white-space: pre-wrap; }
  #meta { color: #555; font-size: .85rem; margin-top: .5rem; font-family: ui-monospace, monospace; }
</style>
</head>
<body>
<h1>BedrockStream.Function <small>(local host)</small></h1>
<textarea id="prompt" rows="4" placeholder="Ask something... (fake model directives: #tokens:50, #fault:stream-throttling@5)"></textarea>
<div><button id="send" type="button">Send</button></div>
<div id="status">idle</div>
<div id="error" role="alert"></div>
<div id="answer" aria-live="polite"></div>
<div id="meta"></div>
<script>
(() => {
  const $ = id => document.getElementById(id);
  const prompt = $("prompt"), send = $("send"), answer = $("answer"), status = $("status"), error = $("error"), meta = $("meta");

  function showError(text) { error.textContent = text; status.textContent = "failed"; }

  // One SSE event (lines up to a blank line): "event: x" and "data: y" fields.
  function handleEvent(block) {
    let type = "message", data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) type = line.slice(6).trim();
      else if (line.startsWith("data:")) data += (data ? "\n" : "") + line.slice(5).replace(/^ /, "");
    }
    if (!data && type === "message") return;
    let json = null;
    try { json = JSON.parse(data); } catch { json = null; }
    if (type === "error") {
      const e = json && (json.error || json);
      showError("Error: " + (e && (e.type ? e.type + ": " : "") + (e.message || data)));
    } else if (type === "done") {
      meta.textContent = data;
      status.textContent = "done";
    } else {
      answer.textContent += json && typeof json.text === "string" ? json.text : data;
    }
  }

  // What the front needs besides the body (the host says which front it plays, at /_local/status): a REST API's
  // x-api-key (a key the local host made up), and for CloudFront the body's SHA-256, which Origin Access Control
  // makes Lambda check.
  async function frontHeaders(body) {
    const headers = { "content-type": "application/json" };
    let front = {};
    try { front = await (await fetch("/_local/status")).json(); } catch { }
    if (front.apiKey) headers["x-api-key"] = front.apiKey;
    if (front.front === "cloudfront") {
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body));
      headers["x-amz-content-sha256"] = Array.from(new Uint8Array(digest), b => b.toString(16).padStart(2, "0")).join("");
    }
    return headers;
  }

  async function run() {
    answer.textContent = ""; error.textContent = ""; meta.textContent = "";
    status.textContent = "waiting for the first token...";
    send.disabled = true;
    const started = performance.now();
    let firstChunkAt = null;
    try {
      const body = JSON.stringify({ prompt: prompt.value });
      const res = await fetch("/", { method: "POST", headers: await frontHeaders(body), body });
      const type = res.headers.get("content-type") || "";
      if (!res.ok) {
        const body = await res.text();
        let message = body;
        try { const j = JSON.parse(body); const e = j.error || j; message = (e.type ? e.type + ": " : "") + (e.message || e.Message || body); } catch { }
        showError("HTTP " + res.status + ": " + message);
        return;
      }
      const sse = type.startsWith("text/event-stream");
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let pending = "";
      status.textContent = "streaming...";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (firstChunkAt === null) firstChunkAt = performance.now();
        const text = decoder.decode(value, { stream: true });
        if (!sse) { answer.textContent += text; continue; }
        pending += text.replace(/\r\n/g, "\n");
        let cut;
        while ((cut = pending.indexOf("\n\n")) >= 0) {
          handleEvent(pending.slice(0, cut));
          pending = pending.slice(cut + 2);
        }
      }
      if (sse && pending.trim()) handleEvent(pending);
      if (!sse) answer.textContent += decoder.decode();
      if (!error.textContent && status.textContent !== "done") status.textContent = "done";
      if (firstChunkAt !== null && !sse) meta.textContent = "first chunk after " + Math.round(firstChunkAt - started) + " ms";
    } catch (e) {
      showError("The stream broke: " + e.message);
    } finally {
      send.disabled = false;
    }
  }

  send.addEventListener("click", run);
  prompt.addEventListener("keydown", e => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run(); });
  // "/#prompt=..." sends at once: a shareable demo link, and a hook for headless-browser checks.
  if (location.hash.startsWith("#prompt=")) { prompt.value = decodeURIComponent(location.hash.slice(8)); run(); }
})();
</script>
</body>
</html>
""";
}
