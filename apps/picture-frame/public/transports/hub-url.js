// The hub's subscribe URL, the same for every transport: the topic and the cursor to resume
// after (all four start from one cursor, so they must deliver the same ids from there).
export function hubUrl(topic, cursor, extra = {}) {
  const u = new URL('/.well-known/mercure', location.origin);
  u.searchParams.set('match', topic);
  if (cursor !== undefined) u.searchParams.set('last_event_id', cursor);
  for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
  return u;
}
