// An MCP client built with the official SDK: initialize, list the tools,
// call "add" three times, "fail" twice and a tool that does not exist once,
// then end the session (DELETE) unless told to keep it. Prints what it got.
// With MCP_HTTP2=1 its requests go over HTTP/2.
// usage: node mcp_client.mjs URL [keep]
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { fetchHttp2, closeHttp2 } from "./fetch_http2.mjs";

const [url, keep] = process.argv.slice(2);
const transport = new StreamableHTTPClientTransport(new URL(url),
  process.env.MCP_HTTP2 ? { fetch: fetchHttp2 } : {});
const client = new Client({ name: "apiscope-test-client", version: "1.0.0" });
await client.connect(transport);
const out = { tools: (await client.listTools()).tools.map((t) => t.name), add: [], fail: [], unknown: null };
for (let i = 0; i < 3; i++) out.add.push((await client.callTool({ name: "add", arguments: { a: i, b: 1 } })).content[0].text);
for (let i = 0; i < 2; i++) out.fail.push((await client.callTool({ name: "fail", arguments: {} })).isError);
try {
  const r = await client.callTool({ name: "nonexistent", arguments: {} });
  out.unknown = { isError: r.isError ?? false };
} catch (e) {
  out.unknown = { code: e.code };
}
out.protocolVersion = transport.protocolVersion;
if (keep !== "keep") await transport.terminateSession();
await client.close();
closeHttp2();
console.log(JSON.stringify(out));
