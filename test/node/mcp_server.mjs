// An MCP server built with the official SDK, over Streamable HTTP with
// sessions, at /mcp: tool "add" works, tool "fail" returns isError.
// With H2_PORT CERT KEY, also over HTTP/2 with TLS.
// usage: node mcp_server.mjs PORT [H2_PORT CERT KEY]
import fs from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import { randomUUID } from "node:crypto";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

const transports = {};

function newServer() {
  const server = new McpServer({ name: "apiscope-test", version: "1.0.0" });
  server.registerTool("add", { description: "a + b", inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => ({ content: [{ type: "text", text: String(a + b) }] }));
  server.registerTool("fail", { description: "always fails", inputSchema: {} },
    async () => ({ content: [{ type: "text", text: "it failed" }], isError: true }));
  return server;
}

async function serve(req, res) {
  let raw = "";
  for await (const chunk of req) raw += chunk;
  const body = raw ? JSON.parse(raw) : undefined;
  const id = req.headers["mcp-session-id"];
  let transport = id && transports[id];
  if (!transport && req.method === "POST" && isInitializeRequest(body)) {
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sid) => { transports[sid] = transport; },
    });
    transport.onclose = () => { if (transport.sessionId) delete transports[transport.sessionId]; };
    await newServer().connect(transport);
  }
  if (!transport) {
    res.writeHead(404, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32001, message: "Session not found" }, id: null }));
    return;
  }
  await transport.handleRequest(req, res, body);
}

const [port, h2Port, cert, key] = process.argv.slice(2);
http.createServer(serve).listen(Number(port), "127.0.0.1");
if (h2Port)
  http2.createSecureServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, serve)
    .listen(Number(h2Port), "127.0.0.1");
