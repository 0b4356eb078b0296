// Node.js (OpenSSL linked into the node binary) as an HTTPS server and as a
// keep-alive HTTPS client.
//   node node_https.js server PORT KEY CERT
//   node node_https.js client PORT COUNT PATH...
const https = require('https');
const fs = require('fs');
const [mode, port, ...rest] = process.argv.slice(2);

if (mode === 'server') {
  const [key, cert] = rest;
  https.createServer({key: fs.readFileSync(key), cert: fs.readFileSync(cert)}, (req, res) => {
    const status = req.url.startsWith('/missing') ? 404 : 200;
    const body = 'n'.repeat(status === 200 ? 42 : 7);
    res.writeHead(status, {'Content-Length': body.length});
    res.end(body);
  }).listen(Number(port), '127.0.0.1', () => console.log('ready'));
} else {
  const [count, ...paths] = rest;
  const agent = new https.Agent({keepAlive: true, maxSockets: 1, rejectUnauthorized: false});
  const todo = [];
  for (let i = 0; i < Number(count); i++) todo.push(...paths);
  const got = [];
  const next = () => {
    const path = todo.shift();
    if (path === undefined) {
      agent.destroy();
      console.log(JSON.stringify(got));
      return;
    }
    https.get({host: '127.0.0.1', port: Number(port), path, agent}, (res) => {
      let size = 0;
      res.on('data', (d) => { size += d.length; });
      res.on('end', () => { got.push({path, status: res.statusCode, size}); next(); });
    }).on('error', (e) => { console.error(e); process.exit(1); });
  };
  next();
}
