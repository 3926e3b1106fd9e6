// Shared Picture Frame, the page. No framework: one stream on the frame's topic (through
// @tidings/client: one connection per browser, shared by all its tabs), two image layers that
// crossfade, and a search form. Everything that comes from the network is shown with
// textContent, and links only when they are http(s).

import { presenceTopic, rememberedPicture, rememberPicture, setUpNotifications } from '/notify.js';
import { mercureUrl, TidingsEventSource } from '/tidings-client/index.js';

const topic = document.querySelector('meta[name="tidings-topic"]').content;
const $ = (id) => document.getElementById(id);
const layers = [$('layer-a'), $('layer-b')];
const keywordEl = $('keyword');
const creditEl = $('credit');
const connectionEl = $('connection');
const connectionText = $('connection-text');
const viewersEl = $('viewers-count');
const form = $('search');
const input = $('keyword-input');
const button = $('search-button');
const message = $('message');
const announce = $('announce');

// ---- Connection: live / reconnecting / offline, with automatic reconnection ----------------

// The whole history on open, to show the current picture at once. A tab that joins another tab's
// stream gets the events that tab kept instead. The client reconnects by itself with backoff,
// resuming after the last event; it gives up only when the hub answers an error (while it
// restarts). The stream also subscribes to this browser's presence topic: while it is live, the
// hub does not push to this browser (docs/push.md).
const presence = presenceTopic();
const streamUrl = mercureUrl('/.well-known/mercure', { topics: [topic, presence], lastEventID: 'earliest' });
// The client keeps the cursor in localStorage. A page opened from a notification resumes from it
// (only what it missed, the newest picture last); any other load starts from the whole history
// again, as it always did, so it shows the current picture and viewer count at once.
const CURSOR_KEY = `tidings-cursor:${new URL(streamUrl, location.href).href}`;
const fromNotification = new URLSearchParams(location.search).has('resume');
try {
  if (!fromNotification) localStorage.removeItem(CURSOR_KEY);
} catch {}
let source;
/** The id of the last event seen: a stream started again after a failure resumes after it. */
let lastEventId = '';
let failures = 0;
let retryTimer;
const OFFLINE_AFTER_FAILURES = 3;
const MAX_BACKOFF_MS = 15000;

const STATE_TEXT = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline: retrying',
};

function setState(state) {
  if (connectionEl.dataset.state === state) return;
  connectionEl.dataset.state = state;
  connectionText.textContent = STATE_TEXT[state];
  document.body.dataset.connection = state;
}

function brokenState() {
  return navigator.onLine && failures < OFFLINE_AFTER_FAILURES ? 'reconnecting' : 'offline';
}

function connect() {
  clearTimeout(retryTimer);
  if (source) source.close();
  const es = new TidingsEventSource(streamUrl, { cursor: 'local', lastEventId, retry: 1000 });
  source = es;
  es.onopen = () => {
    failures = 0;
    setState('live');
  };
  es.onerror = () => {
    if (source !== es) return;
    failures++;
    setState(brokenState());
    if (es.readyState === TidingsEventSource.CLOSED) {
      // The hub answered an error (while restarting, for example): start again, with backoff.
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(failures, 5)) * (0.75 + Math.random() * 0.5);
      retryTimer = setTimeout(connect, delay);
    }
  };
  es.addEventListener('picture', (e) => {
    lastEventId = e.lastEventId;
    const picture = parse(e.data);
    if (picture) queuePicture(picture, true);
  });
  es.addEventListener('viewers', (e) => {
    lastEventId = e.lastEventId;
    const v = parse(e.data);
    if (!v) return;
    if (Number.isInteger(v.viewers)) showViewers(v.viewers);
    // The newest viewers event also names the picture on show (useful if its own event is old).
    if (v.current && v.current.url !== wantedUrl) queuePicture(v.current, false);
  });
}

function parse(text) {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' ? v : undefined;
  } catch {
    return undefined;
  }
}

window.addEventListener('offline', () => setState('offline'));

// ---- Notifications (Web Push, public/notify.js): opt in, and resume when one is clicked -----

setUpNotifications({
  button: $('notify'),
  topic,
  presence,
  showMessage,
  // A notification was clicked while this page was open: resume if the stream is not live.
  onResume: () => {
    if (!source || source.readyState === TidingsEventSource.CLOSED) connect();
  },
});

// ---- The picture ---------------------------------------------------------------------------

let shown = 0; // index of the layer on show
let wantedUrl;
let pending;
let applyTimer;

/** Only http(s) or same-origin paths are ever loaded, whatever the event says. */
function safeImageUrl(url) {
  if (typeof url !== 'string') return undefined;
  try {
    const u = new URL(url, location.href);
    if (u.origin === location.origin || u.protocol === 'https:') return u.href;
  } catch {}
  return undefined;
}

function safeLink(url) {
  if (typeof url !== 'string') return undefined;
  try {
    const u = new URL(url);
    if (u.protocol === 'https:' || u.protocol === 'http:') return u.href;
  } catch {}
  return undefined;
}

/**
 * History replays many pictures at once on open: only the newest is loaded. Live pictures go
 * through the same short queue.
 */
function queuePicture(picture, isNew) {
  const url = safeImageUrl(picture.url);
  if (!url) return;
  wantedUrl = picture.url;
  pending = { picture, url, isNew };
  clearTimeout(applyTimer);
  applyTimer = setTimeout(applyPicture, 40);
}

function applyPicture() {
  const job = pending;
  if (!job) return;
  pending = undefined;
  const next = layers[1 - shown];
  const done = (ok) => {
    if (wantedUrl !== job.picture.url) return; // a newer picture came meanwhile
    if (ok) {
      next.classList.add('shown');
      layers[shown].classList.remove('shown');
      shown = 1 - shown;
      document.body.dataset.picture = job.picture.url;
      // A failed search is old news once the picture has changed.
      if (message.dataset.kind === 'error') showMessage('', 'info');
    } else {
      showMessage('The picture could not be loaded; the frame keeps the previous one.', 'error');
    }
    renderCaption(job.picture);
    rememberPicture(job.picture);
    if (job.isNew) announce.textContent = `New picture for “${job.picture.keyword}”: ${job.picture.title}`;
  };
  next.onload = () => done(true);
  next.onerror = () => done(false);
  next.src = job.url;
}

function renderCaption(p) {
  keywordEl.textContent = typeof p.keyword === 'string' ? p.keyword : '';
  creditEl.replaceChildren();
  const title = text(p.title) || 'Untitled';
  const source = safeLink(p.sourceUrl);
  creditEl.append(source ? link(`“${title}”`, source) : `“${title}”`);
  creditEl.append(' by ');
  const creditUrl = safeLink(p.creditUrl);
  creditEl.append(creditUrl ? link(text(p.credit), creditUrl) : text(p.credit));
  creditEl.append(' · ');
  const licenseUrl = safeLink(p.licenseUrl);
  creditEl.append(licenseUrl ? link(text(p.license), licenseUrl) : text(p.license));
  if (p.source) creditEl.append(` · via ${text(p.source)}`);
  document.title = `${keywordEl.textContent} · Shared Picture Frame`;
}

function text(v) {
  return typeof v === 'string' ? v : '';
}

function link(label, href) {
  const a = document.createElement('a');
  a.textContent = label;
  a.href = href;
  a.rel = 'noopener noreferrer';
  a.target = '_blank';
  return a;
}

function showViewers(n) {
  viewersEl.textContent = `${n} watching`;
}

// ---- Search --------------------------------------------------------------------------------

function showMessage(text, kind) {
  message.textContent = text;
  message.dataset.kind = kind;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const keyword = input.value.trim();
  if (!keyword) {
    showMessage('Type a word to search for.', 'error');
    input.focus();
    return;
  }
  button.disabled = true;
  showMessage(`Searching for “${keyword}”…`, 'info');
  try {
    const res = await fetch('/search', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ keyword }),
    });
    const body = parse(await res.text()) ?? {};
    if (res.ok) {
      showMessage(`Showing “${body.picture?.keyword ?? keyword}” to everyone.`, 'ok');
      input.select();
    } else {
      showMessage(
        typeof body.detail === 'string' ? body.detail : `The search failed (HTTP ${res.status}).`,
        'error',
      );
      document.body.dataset.lastError = typeof body.code === 'string' ? body.code : String(res.status);
    }
  } catch {
    showMessage('The frame cannot be reached; check your connection.', 'error');
  } finally {
    button.disabled = false;
  }
});

// "/" jumps to the search box, as on many sites.
document.addEventListener('keydown', (e) => {
  if (e.key === '/' && document.activeElement !== input && !e.ctrlKey && !e.metaKey && !e.altKey) {
    e.preventDefault();
    input.focus();
  }
});

// Never in the way of connect() below: a stored picture that cannot be shown is skipped.
if (fromNotification) {
  try {
    const last = parse(rememberedPicture() ?? '');
    if (last) queuePicture(last, false);
  } catch {}
}

setState('connecting');
connect();
