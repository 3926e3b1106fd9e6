/**
 * Issue 10, item 8: the publish rate policy, through the CLI (`tidings serve`). Cookie-
 * authenticated (browser) publishers keep the per-client limit; a publisher token in the
 * Authorization header (a backend) is not throttled by default, and `--publish-token-rate` can
 * still give it a limit.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startCli } from './support/cli-process.js';
import { AUDIENCE, accessToken, ISSUER, PUBLISHER_SECRET } from './support/sign-token.js';

const ORIGIN = 'https://app.example';
const PUBLISHES = 12;

async function publishAll(url: string, headers: Record<string, string>): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < PUBLISHES; i++) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: `topic=${encodeURIComponent('https://example.com/ticker')}&data=${i}`,
    });
    await res.arrayBuffer();
    statuses.push(res.status);
  }
  return statuses;
}

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe('publish rate policy through the CLI (issue 10)', () => {
  test('bearer-header publishers are not throttled by default; cookie publishers are', async () => {
    const cli = await startCli([
      '--transport',
      'memory',
      '--jwt-key',
      PUBLISHER_SECRET,
      // The issuer and audience the test tokens carry (Mercure "Token Validation").
      '--jwt-issuer',
      ISSUER,
      '--jwt-audience',
      AUDIENCE,
      '--cors-origins',
      ORIGIN,
      '--publish-rate',
      // One publish per 100 s: no refill during the test, however slow the machine.
      '0.01',
      '--publish-burst',
      '2',
    ]);
    try {
      const token = await accessToken(['publish'], ['*']);
      const header = await publishAll(cli.url, { Authorization: `Bearer ${token}` });
      assert.deepEqual(header, Array(PUBLISHES).fill(200), `a backend token is not throttled: ${header}`);
      const cookie = await publishAll(cli.url, { Cookie: `mercureAuthorization=${token}`, Origin: ORIGIN });
      assert.equal(count(cookie, 200), 2, `a cookie publisher gets its burst: ${cookie}`);
      assert.equal(count(cookie, 429), PUBLISHES - 2, `then 429: ${cookie}`);
    } finally {
      await cli.stop();
    }
  });

  test('--publish-token-rate limits bearer-header publishers', async () => {
    const cli = await startCli([
      '--transport',
      'memory',
      '--jwt-key',
      PUBLISHER_SECRET,
      // The issuer and audience the test tokens carry (Mercure "Token Validation").
      '--jwt-issuer',
      ISSUER,
      '--jwt-audience',
      AUDIENCE,
      '--publish-token-rate',
      '0.01',
      '--publish-burst',
      '3',
    ]);
    try {
      const token = await accessToken(['publish'], ['*']);
      const header = await publishAll(cli.url, { Authorization: `Bearer ${token}` });
      assert.equal(count(header, 200), 3, `the burst passes: ${header}`);
      assert.equal(count(header, 429), PUBLISHES - 3, `then 429: ${header}`);
    } finally {
      await cli.stop();
    }
  });
});
