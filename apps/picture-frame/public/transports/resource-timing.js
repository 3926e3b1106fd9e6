// A second opinion on the poll columns' bytes, from the browser's Resource Timing entries of
// the page's fetches to the hub: encodedBodySize is the body as it came over the wire. Chromium
// reports transferSize as that plus a constant 300 bytes for the head (the spec's guard against
// leaking header sizes), not the head's real size, so heads are counted from the response
// instead (wire-bytes.js). EventSource and WebSocket have no entry while they are open.
export function watchResourceTiming(state) {
  const totals = {
    longPoll: { responses: 0, encodedBodyBytes: 0, transferBytes: 0 },
    poll: { responses: 0, encodedBodyBytes: 0, transferBytes: 0 },
  };
  state.resourceTiming = totals;
  if (typeof PerformanceObserver === 'undefined') return;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.initiatorType !== 'fetch') continue;
      const u = new URL(e.name);
      if (u.pathname !== '/.well-known/mercure' || !u.searchParams.has('last_event_id')) continue;
      const t = u.searchParams.has('wait') ? totals.longPoll : totals.poll;
      t.responses++;
      t.encodedBodyBytes += e.encodedBodySize;
      t.transferBytes += e.transferSize;
    }
    // Observers get every entry; the timeline's own buffer (250 entries) is not needed.
    performance.clearResourceTimings();
  });
  observer.observe({ type: 'resource' });
}
