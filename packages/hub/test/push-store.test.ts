import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbStore, MemoryPushStore, type PushStore } from '@tidings/hub';
import { runPushStoreContract } from '@tidings/test-support';

/** The push store contract (packages/test-support/src/push-store-contract.ts) on memory and LMDB. */

runPushStoreContract('memory', { open: async () => new MemoryPushStore() });

const dirs: string[] = [];
/** The push store of an LMDB environment; closing it closes the environment (the history store owns it). */
function lmdbPushStore(dir: string): PushStore {
  const history = new LmdbStore({ dir });
  const push = history.openPushStore();
  return {
    put: (r, b) => push.put(r, b),
    get: (id) => push.get(id),
    remove: (id, at) => push.remove(id, at),
    candidates: (t) => push.candidates(t),
    count: () => push.count(),
    close: async () => {
      await push.close();
      await history.close();
    },
  };
}
runPushStoreContract('LMDB', {
  async open() {
    dirs.push(await mkdtemp(join(tmpdir(), 'tidings-push-store-')));
    return lmdbPushStore(dirs.at(-1)!);
  },
  reopen: async () => lmdbPushStore(dirs.at(-1)!),
  async dispose() {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  },
});
