// fetch() over HTTP/2 (Node's http2 module, one connection per origin), for
// the SDKs that take a fetch of their own: their requests then go as a
// gateway written in Go would send them.
import http2 from "node:http2";
import { Readable } from "node:stream";

const sessions = new Map();

export async function fetchHttp2(url, init = {}) {
  const u = new URL(url);
  let session = sessions.get(u.origin);
  if (!session || session.closed || session.destroyed) {
    session = http2.connect(u.origin);
    sessions.set(u.origin, session);
  }
  const headers = { ":method": init.method ?? "GET", ":path": u.pathname + u.search };
  for (const [k, v] of new Headers(init.headers))
    if (!["connection", "keep-alive", "host", "transfer-encoding"].includes(k)) headers[k] = v;
  const req = session.request(headers);
  req.end(init.body ? Buffer.from(await new Response(init.body).arrayBuffer()) : undefined);
  const got = await new Promise((resolve, reject) => {
    req.once("response", resolve);
    req.once("error", reject);
  });
  const out = new Headers();
  for (const [k, v] of Object.entries(got)) if (!k.startsWith(":")) out.append(k, String(v));
  const status = got[":status"];
  return new Response(status === 204 || status === 304 ? null : Readable.toWeb(req), { status, headers: out });
}

export function closeHttp2() {
  for (const s of sessions.values()) s.close();
}
