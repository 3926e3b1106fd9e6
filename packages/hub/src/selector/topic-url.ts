/**
 * The URL components a URL pattern is matched against, from a topic.
 *
 * URL Pattern Living Standard, "match": a string input is parsed as a URL against the base URL
 * (Mercure, "URL Pattern": the hub's URL, so relative topics work); if parsing fails the
 * pattern does not match. Each component is the URL's serialisation of it, without the `:`,
 * `?` and `#` delimiters. WHATWG URL serialisation is ASCII (non-ASCII is percent-encoded or
 * punycoded) and holds no control characters, which is why RE2 and JavaScript regular
 * expressions agree on these inputs.
 */
export interface UrlComponents {
  readonly protocol: string;
  readonly username: string;
  readonly password: string;
  readonly hostname: string;
  readonly port: string;
  readonly pathname: string;
  readonly search: string;
  readonly hash: string;
}

export const URL_COMPONENTS = [
  'protocol',
  'username',
  'password',
  'hostname',
  'port',
  'pathname',
  'search',
  'hash',
] as const satisfies readonly (keyof UrlComponents)[];

// One publish is matched against every URL-pattern selector in turn: remembering the last parse
// makes that one URL parse per topic instead of one per selector. Parsing is pure, so this is
// invisible to callers.
let lastTopic: string | undefined;
let lastBase: string | undefined;
let lastResult: UrlComponents | null = null;

/** The topic's components, or null when it is not a URL even relative to `base`. Never throws. */
export function topicUrlComponents(topic: string, base: string): UrlComponents | null {
  if (topic === lastTopic && base === lastBase) return lastResult;
  let result: UrlComponents | null = null;
  try {
    const url = new URL(topic, base);
    result = {
      protocol: url.protocol.slice(0, -1),
      username: url.username,
      password: url.password,
      hostname: url.hostname,
      port: url.port,
      pathname: url.pathname,
      search: url.search.slice(1),
      hash: url.hash.slice(1),
    };
  } catch {
    result = null;
  }
  lastTopic = topic;
  lastBase = base;
  lastResult = result;
  return result;
}
