// The naive baseline hub: what most people write first. Mercure-shaped (POST form publish,
// GET ?topic= or ?match= to subscribe), one encoding per update, then one res.write per
// subscriber. No coalescing, no history, no auth. Plain JS so the benchmark needs no build.
//
//   node bench/servers/naive.mjs --port 8080 [--host 127.0.0.1]
import { createServer } from 'node:http';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? dflt : args[i + 1];
};
const port = Number(opt('port', '8080'));
const host = opt('host', '127.0.0.1');
const PATH = '/.well-known/mercure';
const MAX_BODY = 1 << 20;

/** topic -> Set of ServerResponse */
const topics = new Map();
let nextId = 0;

function subscribe(req, res, url) {
  const wanted = [...url.searchParams.getAll('topic'), ...url.searchParams.getAll('match')];
  if (wanted.length === 0) {
    res.writeHead(400).end('missing topic\n');
    return;
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.flushHeaders();
  for (const t of wanted) {
    let set = topics.get(t);
    if (!set) {
      set = new Set();
      topics.set(t, set);
    }
    set.add(res);
  }
  req.socket.setNoDelay(true);
  res.on('close', () => {
    for (const t of wanted) {
      const set = topics.get(t);
      if (!set) continue;
      set.delete(res);
      if (set.size === 0) topics.delete(t);
    }
  });
}

function publish(req, res) {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => {
    body += chunk;
    if (body.length > MAX_BODY) req.destroy();
  });
  req.on('end', () => {
    const form = new URLSearchParams(body);
    const data = form.get('data') ?? '';
    const id = `urn:naive:${++nextId}`;
    // Encode once (WHATWG HTML 9.2.6): every line of data becomes a data: line.
    let frame = `id: ${id}\n`;
    for (const line of data.split(/\r\n|\r|\n/)) frame += `data: ${line}\n`;
    const buf = Buffer.from(`${frame}\n`, 'utf8');
    const published = form.getAll('topic');
    if (published.length === 1) {
      for (const sub of topics.get(published[0]) ?? []) sub.write(buf);
    } else {
      // Several topics: a subscriber to more than one still gets the update once.
      const seen = new Set();
      for (const t of published) for (const sub of topics.get(t) ?? []) seen.add(sub);
      for (const sub of seen) sub.write(buf);
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(id);
  });
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname !== PATH) {
    res.writeHead(404).end();
  } else if (req.method === 'GET') {
    subscribe(req, res, url);
  } else if (req.method === 'POST') {
    publish(req, res);
  } else {
    res.writeHead(405).end();
  }
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.requestTimeout = 0;
server.listen(port, host, () => {
  process.stdout.write(`naive hub listening on http://${host}:${port}${PATH}\n`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
