// Shared Picture Frame, Web Push (docs/push.md): this browser's presence topic, the "Notify me"
// opt-in, and the last picture kept for a page opened from a notification (public/sw.js shows
// the notification; public/app.js resumes the stream).

const PRESENCE_KEY = 'picture-frame:presence';
const NOTIFY_KEY = 'picture-frame:notify';
const LAST_PICTURE_KEY = 'picture-frame:picture';

function randomId() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join(
    '',
  );
}

/** This browser's presence topic (a random id kept in localStorage): the same in every tab. */
export function presenceTopic() {
  let id;
  try {
    id = localStorage.getItem(PRESENCE_KEY);
    if (!id) {
      id = randomId();
      localStorage.setItem(PRESENCE_KEY, id);
    }
  } catch {
    id = randomId();
  }
  return `urn:tidings:presence:${id}`;
}

/** Keeps the picture on show: a page opened from a notification shows it at once, then what it missed. */
export function rememberPicture(picture) {
  try {
    localStorage.setItem(LAST_PICTURE_KEY, JSON.stringify(picture));
  } catch {}
}

/** The picture kept by `rememberPicture`, as stored (JSON text), or null. */
export function rememberedPicture() {
  try {
    return localStorage.getItem(LAST_PICTURE_KEY);
  } catch {
    return null;
  }
}

/**
 * Where the browser can push: registers the service worker, shows `button` and opts in on click.
 * `onResume` is called when a notification is clicked while a page is already open.
 */
export function setUpNotifications({ button, topic, presence, showMessage, onResume }) {
  if (!('serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window)) return;
  const show = (state) => {
    button.dataset.state = state;
    button.textContent = state === 'on' ? 'Notifications on' : 'Notify me';
    button.disabled = state === 'on' || state === 'busy';
  };
  navigator.serviceWorker.register('/sw.js').catch(() => {});
  navigator.serviceWorker.addEventListener('message', (e) => {
    if (e.data && e.data.type === 'resume') onResume();
  });
  button.hidden = false;
  let on = false;
  try {
    on = localStorage.getItem(NOTIFY_KEY) === 'on' && Notification.permission === 'granted';
  } catch {}
  show(on ? 'on' : 'off');
  button.addEventListener('click', () => optIn({ show, topic, presence, showMessage }));
}

/** Permission, a push subscription with the hub's VAPID key, and its registration at the hub. */
async function optIn({ show, topic, presence, showMessage }) {
  show('busy');
  try {
    if ((await Notification.requestPermission()) !== 'granted') {
      showMessage('Notifications are blocked for this site.', 'error');
      show('off');
      return;
    }
    const registration = await navigator.serviceWorker.ready;
    const key = await (await fetch('/.well-known/mercure/push')).json();
    const subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: key.publicKey,
    });
    const res = await fetch('/.well-known/mercure/push', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // Pictures only: viewer counts are no news to be woken for.
      body: JSON.stringify({
        subscription: subscription.toJSON(),
        match: [topic],
        types: ['picture'],
        presence,
      }),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    localStorage.setItem(NOTIFY_KEY, 'on');
    show('on');
    showMessage('You will be notified of new pictures while the frame is closed.', 'ok');
  } catch (err) {
    show('off');
    showMessage(`Notifications could not be turned on (${err?.message ?? err}).`, 'error');
  }
}
