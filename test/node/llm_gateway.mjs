// An LLM gateway: takes chat completions over plain HTTP and forwards them
// to a provider with the openai SDK (over HTTPS), answering with its reply.
// usage: node llm_gateway.mjs PORT PROVIDER_BASE_URL   (NODE_EXTRA_CA_CERTS)
import http from "node:http";
import OpenAI from "openai";

const [port, baseURL] = process.argv.slice(2);
const upstream = new OpenAI({ baseURL, apiKey: "sk-gateway-not-a-secret", maxRetries: 0 });

http.createServer(async (req, res) => {
  let body = "";
  for await (const chunk of req) body += chunk;
  try {
    const r = await upstream.chat.completions.create({ ...JSON.parse(body), stream: false });
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(r));
  } catch (e) {
    res.writeHead(502, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ error: { message: String(e) } }));
  }
}).listen(Number(port), "127.0.0.1");
