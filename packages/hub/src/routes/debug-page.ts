/**
 * The debug page (GET /.well-known/mercure/ui/): one self-contained HTML document. Everything
 * it shows from the network goes in with textContent. It talks to the hub's real routes (the
 * subscribe stream, the publish form) and to /ui/explain, which runs the real token checks.
 */
export const DEBUG_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tidings debug</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#222}
section{border:1px solid #ccc;border-radius:8px;padding:.8rem;margin:.8rem 0}
label{display:block;margin:.3rem 0}input,textarea,select{width:100%;box-sizing:border-box;font:inherit}
pre{background:#f4f4f4;padding:.5rem;white-space:pre-wrap;word-break:break-all;max-height:20rem;overflow:auto}
.bad{color:#a00}.ok{color:#060}
</style></head><body>
<h1>Tidings hub: debug</h1>
<section><h2>Subscribe</h2>
<label>Selectors (query: <code>match=…</code>, <code>match_urlpattern=…</code>, 0.x <code>topic=…</code>)<input id="sub-query" value="match=*"></label>
<label>Token (optional)<input id="sub-token"></label>
<button id="sub-go">Subscribe</button> <button id="sub-stop">Stop</button>
<p id="sub-status"></p><pre id="sub-events"></pre></section>
<section><h2>Publish</h2>
<label>Topic<input id="pub-topic" value="https://example.com/demo"></label>
<label>Data<textarea id="pub-data">hello</textarea></label>
<label><input type="checkbox" id="pub-private" style="width:auto"> private</label>
<label>Token<input id="pub-token"></label>
<button id="pub-go">Publish</button><p id="pub-status"></p></section>
<section><h2>Token</h2>
<label>Token<textarea id="tok-token"></textarea></label>
<label>As <select id="tok-role"><option value="publisher">publisher</option><option value="subscriber">subscriber</option></select></label>
<label>Topics (one a line)<textarea id="tok-topics">https://example.com/demo</textarea></label>
<button id="tok-go">Explain</button><p id="tok-verdict"></p><pre id="tok-decoded"></pre>
<div id="devtoken" hidden><h3>Development token</h3><p>Signed with the key given on the command line.</p>
<button id="tok-make">Make a token granting publish and subscribe on these topics</button></div></section>
<section><h2>Active subscriptions</h2><button id="subs-go">Refresh</button><pre id="subs"></pre></section>
<script type="module">
const $ = (id) => document.getElementById(id);
const hub = new URL('..', location.href).pathname.replace(/\\/$/, '');
let controller;
function problemText(status, body) {
  try { const p = JSON.parse(body); return status + ' ' + p.code + ': ' + p.detail; } catch { return status + ' ' + body; }
}
$('sub-go').onclick = async () => {
  controller?.abort();
  controller = new AbortController();
  const q = new URLSearchParams($('sub-query').value);
  const headers = { accept: 'text/event-stream' };
  if ($('sub-token').value) headers.authorization = 'Bearer ' + $('sub-token').value.trim();
  $('sub-status').textContent = 'connecting…'; $('sub-status').className = '';
  try {
    const res = await fetch(hub + '?' + q, { signal: controller.signal, headers });
    if (!res.ok) { $('sub-status').textContent = 'refused: ' + problemText(res.status, await res.text()); $('sub-status').className = 'bad'; return; }
    $('sub-status').textContent = 'subscribed'; $('sub-status').className = 'ok';
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) { $('sub-status').textContent = 'stream ended'; return; }
      buf += value;
      let end;
      while ((end = buf.indexOf('\\n\\n')) !== -1) {
        const block = buf.slice(0, end); buf = buf.slice(end + 2);
        if (block.split('\\n').every((l) => l.startsWith(':') || l.startsWith('retry:'))) continue;
        $('sub-events').textContent += block + '\\n\\n';
      }
    }
  } catch (e) { if (e.name !== 'AbortError') { $('sub-status').textContent = 'error: ' + e.message; $('sub-status').className = 'bad'; } }
};
$('sub-stop').onclick = () => { controller?.abort(); $('sub-status').textContent = 'stopped'; };
$('pub-go').onclick = async () => {
  const body = new URLSearchParams({ topic: $('pub-topic').value, data: $('pub-data').value });
  if ($('pub-private').checked) body.set('private', 'on');
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if ($('pub-token').value) headers.authorization = 'Bearer ' + $('pub-token').value.trim();
  const res = await fetch(hub, { method: 'POST', headers, body });
  const text = await res.text();
  $('pub-status').textContent = res.ok ? 'published: ' + text : 'refused: ' + problemText(res.status, text);
  $('pub-status').className = res.ok ? 'ok' : 'bad';
};
const topics = () => $('tok-topics').value.split('\\n').map((t) => t.trim()).filter(Boolean);
$('tok-go').onclick = async () => {
  const res = await fetch(hub + '/ui/explain', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: $('tok-token').value.trim(), role: $('tok-role').value, topics: topics() }) });
  const x = await res.json();
  $('tok-verdict').textContent = (x.status === 200 ? 'accepted' : x.status + ' ' + x.code) + ': ' + x.reason;
  $('tok-verdict').className = x.status === 200 ? 'ok' : 'bad';
  $('tok-decoded').textContent = JSON.stringify({ header: x.header, payload: x.payload, topics: x.topics }, null, 2);
};
$('tok-make').onclick = async () => {
  const res = await fetch(hub + '/ui/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ topics: topics() }) });
  const x = await res.json();
  $('tok-token').value = x.token ?? ''; $('pub-token').value = x.token ?? ''; $('sub-token').value = x.token ?? '';
};
$('subs-go').onclick = async () => { $('subs').textContent = JSON.stringify(await (await fetch(hub + '/ui/subscriptions')).json(), null, 2); };
fetch(hub + '/ui/config').then((r) => r.json()).then((c) => { $('devtoken').hidden = !c.devToken; });
</script></body></html>
`;
