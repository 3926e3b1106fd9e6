// Shared Picture Frame, the service worker: a push from the hub (Web Push, docs/push.md) while no
// page of the frame is open becomes a notification "New picture: <keyword>"; clicking it focuses
// an open page or opens one, which resumes the stream from its cursor (public/app.js, public/notify.js).
//
// The payload is the hub's: {topic, id, type, data?}; `data` is the picture's JSON when it fitted
// the 4 KB message. Everything shown comes from the network, so it is text in a notification only.

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function parse(text) {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' ? v : undefined;
  } catch {
    return undefined;
  }
}

self.addEventListener('push', (event) => {
  const message = (event.data && parse(event.data.text())) || {};
  const picture = typeof message.data === 'string' ? parse(message.data) : undefined;
  const keyword = picture && typeof picture.keyword === 'string' ? picture.keyword.slice(0, 64) : '';
  // userVisibleOnly: every push shows a notification, even one whose data did not fit.
  const title = keyword ? `New picture: ${keyword}` : 'New picture on the frame';
  event.waitUntil(
    self.registration.showNotification(title, {
      body:
        picture && typeof picture.title === 'string'
          ? picture.title.slice(0, 120)
          : 'Open the frame to see it.',
      // One notification for the frame: a newer picture replaces the one not yet seen.
      tag: 'picture-frame',
      icon: '/favicon.svg',
      data: { id: typeof message.id === 'string' ? message.id : '' },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(
    (async () => {
      const pages = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const page = pages.find((c) => new URL(c.url).pathname === '/');
      if (page) {
        // Open already: it resumes its stream if it was not live, from its cursor.
        page.postMessage({ type: 'resume' });
        return page.focus();
      }
      // `?resume`: the page resumes from its cursor instead of replaying the whole history.
      return self.clients.openWindow('/?resume');
    })(),
  );
});
