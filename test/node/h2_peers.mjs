// HTTP/2 peers written by others: Node.js's own http2 module, and gRPC's
// @grpc/grpc-js (pinned in package.json), both over TLS.
//
//   h2_peers.mjs http2-server PORT CERT KEY     routes: /items/ID -> 200, /missing -> 404
//   h2_peers.mjs http2-client ORIGIN N           N requests on one connection; prints their statuses
//   h2_peers.mjs grpc-server PORT CERT KEY      service demo.Items: Get (unary), List (server streaming)
//   h2_peers.mjs grpc-client PORT CA             the calls below; prints their status names
//
// Servers print "ready" when they listen. The gRPC service carries raw bytes:
// no generated code, no protobuf.
import fs from "node:fs";
import http2 from "node:http2";
import grpc from "@grpc/grpc-js";

const [mode, ...args] = process.argv.slice(2);
const bytes = { serialize: (b) => b, deserialize: (b) => b };

function method(name, responseStream) {
  return {
    path: `/demo.Items/${name}`,
    requestStream: false,
    responseStream,
    requestSerialize: bytes.serialize,
    requestDeserialize: bytes.deserialize,
    responseSerialize: bytes.serialize,
    responseDeserialize: bytes.deserialize,
  };
}
const service = { Get: method("Get", false), List: method("List", true) };

if (mode === "http2-server") {
  const [port, cert, key] = args;
  const server = http2.createSecureServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) });
  server.on("stream", (stream, headers) => {
    const path = headers[":path"];
    if (path.startsWith("/items/")) {
      stream.respond({ ":status": 200, "content-type": "text/plain" });
      stream.end("item " + path.slice(7));
    } else {
      stream.respond({ ":status": 404 });
      stream.end();
    }
  });
  server.listen(Number(port), "127.0.0.1", () => console.log("ready"));
} else if (mode === "http2-client") {
  const [origin, n] = args;
  const session = http2.connect(origin, { rejectUnauthorized: false });
  const one = (path) =>
    new Promise((resolve, reject) => {
      const req = session.request({ ":path": path });
      req.on("response", (h) => {
        req.resume();
        req.on("end", () => resolve(h[":status"]));
      });
      req.on("error", reject);
      req.end();
    });
  const statuses = [];
  for (let i = 0; i < Number(n); i++) statuses.push(await one(i % 5 === 4 ? "/missing" : `/items/${i}`));
  session.close();
  console.log(JSON.stringify(statuses));
} else if (mode === "grpc-server") {
  const [port, cert, key] = args;
  const server = new grpc.Server();
  server.addService(service, {
    Get: (call, done) => {
      if (call.request.toString() === "missing") done({ code: grpc.status.NOT_FOUND, details: "no such item" });
      else done(null, Buffer.from("item:" + call.request));
    },
    List: (call) => {
      for (let i = 0; i < call.request.length; i++) call.write(Buffer.from(`part-${i}`));
      call.end();
    },
  });
  const creds = grpc.ServerCredentials.createSsl(null, [
    { cert_chain: fs.readFileSync(cert), private_key: fs.readFileSync(key) },
  ]);
  server.bindAsync(`127.0.0.1:${port}`, creds, (err) => {
    if (err) throw err;
    console.log("ready");
  });
} else if (mode === "grpc-client") {
  const [port, ca] = args;
  const Client = grpc.makeGenericClientConstructor(service, "Items");
  const client = new Client(`localhost:${port}`, grpc.credentials.createSsl(fs.readFileSync(ca)));
  const get = (id) =>
    new Promise((resolve) => client.Get(Buffer.from(id), (err) => resolve(err ? grpc.status[err.code] : "OK")));
  const list = (n) =>
    new Promise((resolve) => {
      const parts = [];
      const call = client.List(Buffer.alloc(n, 120));
      call.on("data", (d) => parts.push(d));
      call.on("end", () => resolve(parts.length));
      call.on("error", (e) => resolve(grpc.status[e.code]));
    });
  const out = { Get: [], List: [] };
  for (const id of ["1", "2", "missing", "3"]) out.Get.push(await get(id));
  for (const n of [2, 4]) out.List.push(await list(n));
  client.close();
  console.log(JSON.stringify(out));
} else {
  console.error("usage: h2_peers.mjs http2-server|http2-client|grpc-server|grpc-client ...");
  process.exit(2);
}
