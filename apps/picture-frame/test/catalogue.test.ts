import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isAllowedImageUrl } from '../src/image-url.js';
import { packageRoot } from '../src/package-root.js';
import { createCatalogueProvider, loadCatalogue } from '../src/providers/catalogue.js';
import { createFolderProvider } from '../src/providers/folder.js';
import { ProviderError } from '../src/providers/provider.js';

const dir = join(packageRoot(), 'catalogue');
const signal = () => AbortSignal.timeout(1000);

describe('bundled catalogue', () => {
  it('every entry has its file, keywords, a title, a creator and a recorded licence', () => {
    const entries = loadCatalogue(dir);
    assert.ok(entries.length >= 10, `at least 10 catalogue entries, got ${entries.length}`);
    for (const e of entries) {
      assert.ok(existsSync(join(dir, e.file)), e.file);
      assert.ok(e.keywords.length > 0 && e.title && e.creator, e.file);
      assert.equal(e.license, 'CC0 1.0');
      assert.equal(e.licenseUrl, 'https://creativecommons.org/publicdomain/zero/1.0/');
      const svg = readFileSync(join(dir, e.file), 'utf8');
      assert.doesNotMatch(svg, /<script|on[a-z]+=|href=/i, `${e.file} is a plain drawing`);
    }
  });

  it('covers the words a new user tries', async () => {
    const p = createCatalogueProvider(dir);
    for (const k of [
      'pumpkin',
      'cat',
      'sea',
      'mountain',
      'city',
      'flower',
      'forest',
      'desert',
      'space',
      'balloon',
    ]) {
      const found = await p.search(k, signal());
      assert.ok(found.length > 0, k);
      for (const f of found) assert.ok(isAllowedImageUrl(f.url, p.allowlist), f.url);
    }
  });

  it('matches plurals, case and title words; best matches only; unknown words find nothing', async () => {
    const p = createCatalogueProvider(dir);
    assert.equal((await p.search('PUMPKINS', signal())).length, 2);
    const lantern = await p.search('pumpkin lantern', signal());
    assert.deepEqual(
      lantern.map((c) => c.url),
      ['/catalogue/pumpkin-lantern.svg'],
    );
    assert.ok(
      (await p.search('Sailing', signal())).some((c) => c.url.includes('sailboat')),
      'Sailing finds the sailboat, case-insensitively',
    );
    assert.deepEqual(await p.search('zzyzx', signal()), []);
    assert.ok(p.suggestions?.().includes('pumpkin'), 'pumpkin is among the suggestions');
  });
});

describe('folder of your own pictures', () => {
  it('finds images by the words of their names and serves them from /my-pictures/', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'pf-folder-'));
    try {
      for (const f of ['Red Pumpkin.jpg', 'sea_view.png', 'notes-pumpkin.txt', '.hidden-pumpkin.png'])
        writeFileSync(join(tmp, f), 'x');
      const p = createFolderProvider(tmp);
      const found = await p.search('pumpkin', signal());
      assert.deepEqual(
        found.map((f) => f.url),
        ['/my-pictures/Red%20Pumpkin.jpg'],
      );
      assert.equal(found[0]!.title, 'Red Pumpkin');
      assert.ok(
        isAllowedImageUrl(found[0]!.url, p.allowlist),
        'a local picture URL passes the provider allowlist',
      );
      assert.equal((await p.search('view', signal())).length, 1);
      assert.deepEqual(await p.search('cat', signal()), []);
    } finally {
      rmSync(tmp, { recursive: true });
    }
    await assert.rejects(createFolderProvider(join(tmp, 'gone')).search('x', signal()), ProviderError);
  });
});
