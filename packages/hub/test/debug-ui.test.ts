import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createHub, type Hub } from '../src/hub.js';
import { CHROMIUM } from './support/chromium.js';
import {
  accessToken,
  nowSeconds,
  publisherToken,
  SIGNED_HUB,
  subscriberToken,
} from './support/sign-token.js';

/** The page's DOM, as the functions run in Chromium see it (this package has no DOM types). */
declare const document: { getElementById(id: string): { textContent: string | null; value?: string } | null };

const T = 30_000;
const TOPIC = 'https://example.com/demo';

async function text(page: Page, id: string, pattern: RegExp): Promise<string> {
  await page.waitForFunction(
    ([el, src]) => new RegExp(src!).test(document.getElementById(el!)!.textContent ?? ''),
    [id, pattern.source],
    { timeout: T },
  );
  return (await page.textContent(`#${id}`)) ?? '';
}

async function explain(
  page: Page,
  token: string,
  role: 'publisher' | 'subscriber',
  verdict: RegExp,
): Promise<void> {
  await page.fill('#tok-token', token);
  await page.selectOption('#tok-role', role);
  await page.fill('#tok-topics', TOPIC);
  await page.evaluate(() => {
    document.getElementById('tok-verdict')!.textContent = '';
  });
  await page.click('#tok-go');
  await text(page, 'tok-verdict', verdict);
}

describe('debug page in Chromium', { timeout: 120_000 }, () => {
  let browser: Browser;
  let hub: Hub;
  let base: string;

  before(async () => {
    browser = await chromium.launch(CHROMIUM);
    hub = await createHub({ ...SIGNED_HUB, debugUi: true });
    const { port } = await hub.listen(0);
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await browser?.close();
    await hub?.close();
  });

  it('subscribe, publish, and the exact reason of each refusal', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/.well-known/mercure/ui/`);
    // Subscribe (anonymous allowed) with a current-dialect selector.
    await page.fill('#sub-query', `match=${encodeURIComponent(TOPIC)}`);
    await page.click('#sub-go');
    await text(page, 'sub-status', /^subscribed$/);

    // Publish without a token: 401 with the hub's reason.
    await page.fill('#pub-topic', TOPIC);
    await page.fill('#pub-data', 'from the form');
    await page.click('#pub-go');
    assert.match(
      await text(page, 'pub-status', /refused/),
      /401 missing_token: publishing needs an access token/,
      'no token',
    );
    // With a token granting another topic: 403, naming the grant that is missing.
    await page.fill('#pub-token', await publisherToken(['https://example.com/other']));
    await page.click('#pub-go');
    assert.match(await text(page, 'pub-status', /403/), /403 insufficient_scope/, 'wrong topic');
    await page.fill('#pub-token', await publisherToken([TOPIC]));
    await page.click('#pub-go');
    const published = await text(page, 'pub-status', /published: /);
    const id = published.replace('published: ', '');
    const events = await text(page, 'sub-events', /from the form/);
    assert.ok(events.includes(`id: ${id}`), `the event arrived with its id: ${events}`);

    // A 0.x selector refused for a bad token on the subscribe side.
    await page.fill('#sub-query', 'topic=https://example.com/{id}');
    await page.fill('#sub-token', 'not-a-token');
    await page.click('#sub-go');
    assert.match(
      await text(page, 'sub-status', /refused/),
      /401 invalid_token: malformed token/,
      'bad subscribe token',
    );

    // The token panel: each reason from the real verification.
    await explain(page, '', 'publisher', /401 missing_token: publishing needs an access token/);
    await explain(
      page,
      await publisherToken([TOPIC], { claims: { exp: nowSeconds() - 60 } }),
      'publisher',
      /401 invalid_token: token expired/,
    );
    await explain(
      page,
      await publisherToken([TOPIC], { key: 'some-other-secret-of-32-bytes-or-more!' }),
      'publisher',
      /401 invalid_token: signature verification failed/,
    );
    await explain(
      page,
      await publisherToken([TOPIC], { claims: { aud: 'https://elsewhere.example' } }),
      'publisher',
      /401 invalid_token: .*aud/,
    );
    await explain(
      page,
      await publisherToken(['https://example.com/other']),
      'publisher',
      /403 insufficient_scope: the token does not grant publish on https:\/\/example\.com\/demo/,
    );
    await explain(
      page,
      await accessToken(['publish'], [TOPIC], { key: SIGNED_HUB.subscriberKeys[0] }),
      'subscriber',
      /private updates on https:\/\/example\.com\/demo are not delivered/,
    );
    await explain(page, await subscriberToken([TOPIC]), 'subscriber', /^accepted: valid/);
    const decoded = (await page.textContent('#tok-decoded')) ?? '';
    assert.match(decoded, /"authorization_details"/, `the payload is shown decoded: ${decoded}`);

    // Active subscriptions list the open stream's selector.
    await page.fill('#sub-query', `match=${encodeURIComponent(TOPIC)}`);
    await page.fill('#sub-token', '');
    await page.click('#sub-go');
    await text(page, 'sub-status', /^subscribed$/);
    await page.click('#subs-go');
    await text(page, 'subs', /https:\/\/example\.com\/demo/);
    await page.close();
  });

  it('makes a development token when the hub has a key from the command line; off by default with keys', async () => {
    const key = 'a-development-secret-given-on-the-command-line';
    const dev = await createHub({
      publisherKeys: [key],
      subscriberKeys: [key],
      debugUi: true,
      devTokenKey: key,
    });
    const off = await createHub({ publisherKeys: [key], subscriberKeys: [key] });
    try {
      const { port } = await dev.listen(0);
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/.well-known/mercure/ui/`);
      await page.waitForSelector('#tok-make', { state: 'visible', timeout: T });
      await page.fill('#tok-topics', TOPIC);
      await page.click('#tok-make');
      await page.waitForFunction(() => document.getElementById('pub-token')!.value !== '', undefined, {
        timeout: T,
      });
      await page.fill('#pub-topic', TOPIC);
      await page.click('#pub-go');
      await text(page, 'pub-status', /published: /);
      await page.close();
      const offPort = (await off.listen(0)).port;
      const res = await fetch(`http://127.0.0.1:${offPort}/.well-known/mercure/ui/`);
      assert.equal(res.status, 404, 'with keys and no option, there is no debug page');
    } finally {
      await dev.close();
      await off.close();
    }
  });
});
