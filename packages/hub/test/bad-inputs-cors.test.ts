/**
 * bad-inputs.md, "Connections": `Origin: https://evil.example` with credentials is never echoed
 * (nor answered with `*` plus credentials); a preflight asking for Last-Event-ID or Authorization
 * is answered with them allowed, for allowed origins only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type HubFixture, startHub } from './support/hub-fixture.js';
import { type RawResponse, rawExchange } from './support/raw-http.js';

const APP = 'https://app.example';
const EVIL = 'https://evil.example';
const HOSTILE_ORIGINS = [
  EVIL,
  'null',
  `${APP}.evil.example`,
  'https://evil.example, https://app.example',
  `${APP}:8443`,
  'http://app.example',
];

interface Ask {
  readonly method: 'GET' | 'POST' | 'OPTIONS';
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

function ask(port: number, { method, path, headers = {}, body }: Ask): Promise<RawResponse> {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (body !== undefined)
    lines.push('Content-Type: application/x-www-form-urlencoded', `Content-Length: ${body.length}`);
  // Streams never end: stop at the response head.
  return rawExchange(port, [`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`], {
    stopWhen: (r) => r.status !== undefined,
  });
}

const requests = (origin: string): Ask[] => [
  {
    method: 'GET',
    path: '/.well-known/mercure?match=*',
    headers: { Origin: origin, Cookie: 'mercureAuthorization=x' },
  },
  { method: 'GET', path: '/.well-known/mercure?match=*', headers: { Origin: origin } },
  { method: 'GET', path: '/.well-known/mercure', headers: { Origin: origin } },
  {
    method: 'POST',
    path: '/.well-known/mercure',
    headers: { Origin: origin },
    body: 'topic=https%3A%2F%2Fexample.com%2Fc',
  },
  { method: 'GET', path: '/.well-known/mercure/subscriptions', headers: { Origin: origin } },
  {
    method: 'OPTIONS',
    path: '/.well-known/mercure',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': 'GET',
      'Access-Control-Request-Headers': 'last-event-id, authorization',
    },
  },
  {
    method: 'OPTIONS',
    path: '/.well-known/mercure/subscriptions',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': 'GET',
      'Access-Control-Request-Headers': 'authorization',
    },
  },
];

/** The invariant: credentials are only ever allowed together with one exact allowed origin. */
function assertNoCredentialedEcho(
  r: RawResponse,
  origin: string,
  allowed: readonly string[],
  what: string,
): void {
  assert.ok(r.status !== undefined, `${what}: answered`);
  const acao = r.headers['access-control-allow-origin'];
  const acac = r.headers['access-control-allow-credentials'];
  if (!allowed.includes(origin)) assert.notEqual(acao, origin, `${what}: ${origin} echoed`);
  if (acac !== undefined) {
    assert.equal(acac, 'true', what);
    assert.notEqual(acao, '*', `${what}: * with credentials`);
    assert.ok(acao !== undefined && allowed.includes(acao), `${what}: credentials for ${acao}`);
  }
  if (acao !== undefined) assert.match(r.headers['vary'] ?? '', /\bOrigin\b/i, `${what}: Vary: Origin`);
}

function allowedHeaders(r: RawResponse): string[] {
  return (r.headers['access-control-allow-headers'] ?? '').split(',').map((h) => h.trim().toLowerCase());
}

const configurations: [string, readonly string[]][] = [
  ['an allowlist', [APP]],
  ['an allowlist with *', ['*', APP]],
];
for (const [label, corsOrigins] of configurations) {
  describe(`bad inputs: CORS with ${label}`, () => {
    let fx: HubFixture;
    before(async () => {
      fx = await startHub({ corsOrigins: [...corsOrigins] });
    });
    after(() => fx.close());

    test('Origin: https://evil.example with credentials is never echoed, never * with credentials', async () => {
      for (const origin of HOSTILE_ORIGINS) {
        for (const req of requests(origin)) {
          const r = await ask(fx.port, req);
          const what = `${req.method} ${req.path} from ${origin}`;
          assertNoCredentialedEcho(r, origin, [APP], what);
          assert.equal(r.headers['access-control-allow-credentials'], undefined, `${what}: no credentials`);
          if (corsOrigins.includes('*')) assert.equal(r.headers['access-control-allow-origin'], '*', what);
          else assert.equal(r.headers['access-control-allow-origin'], undefined, what);
        }
      }
    });

    test('a preflight asking for Last-Event-ID or Authorization: allowed for allowed origins', async () => {
      for (const req of requests(APP)) {
        const r = await ask(fx.port, req);
        const what = `${req.method} ${req.path}`;
        assertNoCredentialedEcho(r, APP, [APP], what);
        assert.equal(r.headers['access-control-allow-origin'], APP, what);
        assert.equal(r.headers['access-control-allow-credentials'], 'true', what);
        if (req.method === 'OPTIONS') {
          assert.ok(r.status === 204 || r.status === 200, `${what}: ${r.status}`);
          const allowed = allowedHeaders(r);
          for (const h of (req.headers?.['Access-Control-Request-Headers'] ?? '').split(', ')) {
            assert.ok(allowed.includes(h), `${what}: ${h} allowed (${allowed})`);
          }
          assert.match(r.headers['access-control-allow-methods'] ?? '', /\bGET\b/);
        } else {
          // So that a page can read where the stream continues.
          assert.match(r.headers['access-control-expose-headers'] ?? '', /Mercure-Last-Event-ID/i, what);
        }
      }
      // A hostile origin's preflight allows no header at all (with `*`: no credentials, checked above).
      const hostile = await ask(fx.port, requests(EVIL)[5]!);
      if (!corsOrigins.includes('*'))
        assert.deepEqual(allowedHeaders(hostile), [''], 'nothing allowed for evil');
    });
  });
}
