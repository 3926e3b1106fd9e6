/**
 * A test application page: one TidingsEventSource on `?url=`, every message's data appended to a
 * log kept in sessionStorage (the application's own state, so it survives a reload), gaps and
 * opens counted. With `?ttls=a,b,...` its headers function fetches a token from `/token?ttl=`
 * with the next lifetime of the list (the last one repeats). `?pause` sets pauseWhenHidden.
 */
export const APP_PAGE = `<!doctype html><meta charset="utf-8"><script>window.__name = (f) => f;</script><script type="module">
import { TidingsEventSource } from '/client.js';
const q = new URLSearchParams(location.search);
const log = JSON.parse(sessionStorage.getItem('log') ?? '[]');
const ttls = (q.get('ttls') ?? '').split(',').filter(Boolean);
let calls = 0;
const init = { retry: 200, pauseWhenHidden: q.has('pause') };
if (ttls.length > 0) {
  init.headers = async () => {
    const ttl = ttls[Math.min(calls++, ttls.length - 1)];
    const token = await (await fetch('/token?ttl=' + ttl)).text();
    return { Authorization: 'Bearer ' + token };
  };
}
const es = new TidingsEventSource(q.get('url'), init);
const arrivals = {};
Object.assign(window, { es, log, arrivals, gaps: 0, opens: 0, tokenCalls: () => calls });
es.onmessage = (e) => {
  arrivals[e.data] = Date.now();
  log.push(e.data);
  sessionStorage.setItem('log', JSON.stringify(log));
};
es.addEventListener('gap', () => window.gaps++);
es.onopen = () => window.opens++;
window.ready = true;
</script>`;
