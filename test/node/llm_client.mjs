// Calls an OpenAI-compatible server with the official openai SDK and prints,
// as JSON, every call it made and the usage the server reported. With
// LLM_HTTP2=1 the SDK's requests go over HTTP/2 (Node's http2 module), as a
// gateway written in Go would send them.
// usage: node llm_client.mjs BASE_URL SCENARIO   (NODE_EXTRA_CA_CERTS for HTTPS)
import OpenAI from "openai";
import { fetchHttp2, closeHttp2 } from "./fetch_http2.mjs";

const [baseURL, scenario] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "sk-test-not-a-secret", maxRetries: 0,
  ...(process.env.LLM_HTTP2 ? { fetch: fetchHttp2 } : {}) });
const calls = [];

async function chat(model, stream, max_tokens, text) {
  const messages = [{ role: "user", content: text }];
  if (!stream) {
    const r = await client.chat.completions.create({ model, messages, max_tokens });
    calls.push({ model, stream, input: r.usage.prompt_tokens, output: r.usage.completion_tokens });
    return;
  }
  const s = await client.chat.completions.create({ model, messages, max_tokens, stream: true,
    stream_options: { include_usage: true } });
  let usage = null, chunks = 0;
  for await (const chunk of s) {
    chunks++;
    if (chunk.usage) usage = chunk.usage;
  }
  calls.push({ model, stream, input: usage.prompt_tokens, output: usage.completion_tokens, chunks });
}

if (scenario === "direct") {
  for (let i = 0; i < 3; i++) await chat("gpt-test-a", false, 4 + i, "one two three four");
  for (let i = 0; i < 2; i++) await chat("gpt-test-b", true, 8, "count to eight please");
  const e = await client.embeddings.create({ model: "emb-1", input: ["alpha beta", "gamma"] });
  calls.push({ model: "emb-1", embeddings: true, input: e.usage.prompt_tokens });
  try {
    await chat("overloaded", false, 1, "hi");
  } catch (err) {
    calls.push({ model: "overloaded", status: err.status });
  }
} else if (scenario === "tls") {
  await chat("gpt-tls", false, 3, "over https");
  await chat("gpt-tls", true, 6, "streamed over https");
} else if (scenario === "http2") {
  for (let i = 0; i < 2; i++) await chat("gpt-h2", false, 3 + i, "over http two");
  for (let i = 0; i < 2; i++) await chat("gpt-h2s", true, 6, "streamed over http two");
} else if (scenario === "gateway") {
  for (let i = 0; i < 2; i++) await chat("gpt-gw", false, 2, "through the gateway");
}
closeHttp2();
console.log(JSON.stringify(calls));
