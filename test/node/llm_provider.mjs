// A model server speaking the OpenAI-compatible API, over HTTP, HTTPS and
// (with H2_PORT) HTTP/2 over TLS:
// chat completions (streamed as SSE or not, with usage) and embeddings.
// Its token counts are deterministic: input = words in the messages,
// output = max_tokens (default 5). Model "overloaded" gets a 429.
// usage: node llm_provider.mjs HTTP_PORT HTTPS_PORT CERT KEY [H2_PORT]
import fs from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import https from "node:https";

const [httpPort, httpsPort, cert, key, h2Port] = process.argv.slice(2);
const words = (messages) => messages.map((m) => String(m.content).split(/\s+/).filter(Boolean).length)
  .reduce((a, b) => a + b, 0);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function handle(req, res) {
  let body = "";
  for await (const chunk of req) body += chunk;
  const call = body ? JSON.parse(body) : {};
  const send = (status, obj) => {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(obj));
  };
  if (call.model === "overloaded") return send(429, { error: { message: "try later", type: "rate_limit" } });
  if (req.url === "/v1/embeddings") {
    const inputs = [].concat(call.input);
    const n = inputs.map((s) => s.split(/\s+/).length).reduce((a, b) => a + b, 0);
    return send(200, { object: "list", model: call.model + "-v2",
      data: inputs.map((_, i) => ({ object: "embedding", index: i, embedding: [0.1, 0.2, 0.3] })),
      usage: { prompt_tokens: n, total_tokens: n } });
  }
  if (req.url !== "/v1/chat/completions") return send(404, { error: { message: "no such route" } });
  const input = words(call.messages), output = call.max_tokens ?? 5;
  const usage = { prompt_tokens: input, completion_tokens: output, total_tokens: input + output };
  const model = call.model + "-2026";
  if (!call.stream) {
    await sleep(20);
    return send(200, { id: "c1", object: "chat.completion", created: 1, model,
      choices: [{ index: 0, message: { role: "assistant", content: "word ".repeat(output).trim() },
        finish_reason: "stop" }], usage });
  }
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
  const event = (delta, extra = {}) => res.write("data: " + JSON.stringify({ id: "c1",
    object: "chat.completion.chunk", created: 1, model, choices: [{ index: 0, delta, finish_reason: null }],
    ...extra }) + "\n\n");
  await sleep(60);  // the model thinks before its first token
  event({ role: "assistant", content: "" });
  for (let i = 0; i < output; i++) {
    await sleep(15);
    event({ content: "word " });
  }
  if (call.stream_options?.include_usage)
    res.write("data: " + JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model,
      choices: [], usage }) + "\n\n");
  res.end("data: [DONE]\n\n");
}

const serve = (req, res) => handle(req, res).catch((e) => { res.writeHead(500); res.end(String(e)); });
http.createServer(serve).listen(Number(httpPort), "127.0.0.1");
const tls = { cert: fs.readFileSync(cert), key: fs.readFileSync(key) };
https.createServer(tls, serve).listen(Number(httpsPort), "127.0.0.1");
if (h2Port) http2.createSecureServer(tls, serve).listen(Number(h2Port), "127.0.0.1");
