import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createUpdate, MemoryStore } from '@tidings/hub';
import { ConfigError, DEFAULT_DATA_DIR, parseConfig } from '../src/config.js';
import { recoverCurrentPicture } from '../src/current-picture.js';
import type { HistoryReader } from '../src/frame-hub.js';
import { packageRoot } from '../src/package-root.js';
import type { Picture } from '../src/picture.js';
import { createProvider } from '../src/providers/create-provider.js';
import { FRAME_TOPIC } from '../src/topic.js';

const pic = (keyword: string): Picture => ({
  url: `/catalogue/${keyword}.svg`,
  keyword,
  title: keyword,
  credit: 'c',
  license: 'CC0 1.0',
  source: 'catalogue',
});

/**
 * History as the hub's stores page it: readAfter(id, limit), honouring the HistoryStore contract
 * (packages/hub/src/store/store.ts): an id not kept is `found: false` with nothing read. A fake,
 * not a MemoryStore, because these cases need thousands of updates of exact shapes and count the
 * reads; it is faithful to the part of the contract the frame uses (checked below).
 */
function history(
  updates: { id: string; type?: string; topics: string[]; data: string }[],
): HistoryReader & { reads: number } {
  const h = {
    reads: 0,
    async readAfter(afterId: string, limit: number) {
      h.reads++;
      const at = afterId === 'earliest' ? -1 : updates.findIndex((u) => u.id === afterId);
      if (afterId !== 'earliest' && at === -1) return { found: false, updates: [], more: false };
      const start = at + 1;
      const page = updates.slice(start, start + limit);
      return { found: true, updates: page, more: start + limit < updates.length };
    },
  };
  return h;
}

describe('the fake history honours the store contract', () => {
  it('earliest is found, a kept id is found, an unknown id is not', async () => {
    const h = history([{ id: 'a', topics: [FRAME_TOPIC], data: '{}' }]);
    assert.equal((await h.readAfter('earliest', 10)).found, true, 'earliest');
    assert.deepEqual(await h.readAfter('a', 10), { found: true, updates: [], more: false }, 'a kept id');
    assert.deepEqual(
      await h.readAfter('urn:uuid:unknown', 10),
      { found: false, updates: [], more: false },
      'an unknown id is not found, and reads nothing',
    );
  });

  it('answers as the hub’s MemoryStore does, and the frame recovers the same picture from both', async () => {
    const ups = ['a', 'b', 'c'].map((k, i) => ({
      id: `urn:example:${k}`,
      type: i === 1 ? 'viewers' : 'picture',
      topics: [i === 2 ? 'https://other.example' : FRAME_TOPIC],
      data: JSON.stringify(i === 1 ? { viewers: 1, current: pic('sea') } : pic(k)),
    }));
    const store = new MemoryStore();
    for (const u of ups) await store.append(createUpdate({ ...u, private: false }));
    const fake = history(ups);
    for (const after of ['earliest', 'urn:example:a', 'urn:example:c', 'urn:example:unknown']) {
      for (const limit of [1, 10]) {
        const real = await store.readAfter(after, limit);
        const faked = await fake.readAfter(after, limit);
        assert.deepEqual(
          { found: faked.found, more: faked.more, ids: faked.updates.map((u) => u.id) },
          { found: real.found, more: real.more, ids: real.updates.map((u) => u.id) },
          `readAfter(${after}, ${limit})`,
        );
      }
    }
    assert.equal((await recoverCurrentPicture(store, FRAME_TOPIC))?.keyword, 'sea');
    assert.equal((await recoverCurrentPicture(fake, FRAME_TOPIC))?.keyword, 'sea');
  });
});

describe('recovering the current picture from history', () => {
  it('takes the newest picture on the frame topic, across pages', async () => {
    const ups = [];
    for (let i = 0; i < 1200; i++) {
      ups.push({ id: `${i}`, type: 'picture', topics: [FRAME_TOPIC], data: JSON.stringify(pic(`k${i}`)) });
    }
    ups.push({
      id: 'x',
      type: 'picture',
      topics: ['https://other.example'],
      data: JSON.stringify(pic('other')),
    });
    ups.push({ id: 'y', type: 'picture', topics: [FRAME_TOPIC], data: '{not json' });
    const h = history(ups);
    assert.equal((await recoverCurrentPicture(h, FRAME_TOPIC))?.keyword, 'k1199');
    assert.equal(h.reads, 3);
  });

  it('uses the current picture a later viewers event carries (its picture event trimmed away)', async () => {
    const h = history([
      {
        id: '1',
        type: 'viewers',
        topics: [FRAME_TOPIC],
        data: JSON.stringify({ viewers: 2, current: pic('sea') }),
      },
      {
        id: '2',
        type: 'viewers',
        topics: [FRAME_TOPIC],
        data: JSON.stringify({ viewers: 1, current: null }),
      },
    ]);
    assert.equal((await recoverCurrentPicture(h, FRAME_TOPIC))?.keyword, 'sea');
    assert.equal(await recoverCurrentPicture(history([]), FRAME_TOPIC), null);
  });
});

describe('configuration', () => {
  it('defaults: port 3000, the offline catalogue, a data dir', () => {
    const c = parseConfig([], {});
    assert.ok(c !== 'help', 'no arguments parse to a config, not help');
    assert.equal(c.port, 3000);
    assert.equal(c.provider, 'catalogue');
    assert.equal(c.dataDir, DEFAULT_DATA_DIR);
  });

  it('PORT, --port (wins), --data-dir, provider choice', () => {
    const c = parseConfig(['--port', '8080', '--data-dir', '/tmp/x'], {
      PORT: '9000',
      PICTURE_PROVIDER: 'OpenVerse',
    });
    assert.ok(c !== 'help', 'these arguments parse to a config, not help');
    assert.equal(c.port, 8080);
    assert.equal(c.dataDir, '/tmp/x');
    assert.equal(c.provider, 'openverse');
    assert.equal((parseConfig([], { PORT: '9000' }) as { port: number }).port, 9000);
    assert.equal(parseConfig(['--help'], {}), 'help');
  });

  it('clear errors for bad values and a provider without what it needs', () => {
    assert.throws(() => parseConfig([], { PORT: 'abc' }), ConfigError);
    assert.throws(() => parseConfig([], { PORT: '70000' }), /between/);
    assert.throws(
      () => parseConfig([], { PICTURE_PROVIDER: 'google' }),
      /one of catalogue, folder, flickr, openverse/,
    );
    assert.throws(() => parseConfig(['--bogus'], {}), ConfigError);
    const root = packageRoot();
    assert.throws(() => createProvider({ provider: 'flickr' }, root), /FLICKR_API_KEY/);
    assert.throws(() => createProvider({ provider: 'folder' }, root), /PICTURE_FOLDER/);
    assert.equal(createProvider({ provider: 'flickr', flickrApiKey: 'k' }, root).name, 'flickr');
    assert.equal(createProvider({ provider: 'openverse' }, root).name, 'openverse');
    assert.equal(createProvider({ provider: 'catalogue' }, root).name, 'catalogue');
  });

  it('finds the package folder from src/ (and so from dist/src/)', () => {
    const root = packageRoot();
    assert.match(root, /apps\/picture-frame$/);
    assert.equal(packageRoot(new URL(`file://${root}/dist/src/x.js`).href), root);
  });
});
