import { MemoryStore } from '../src/store/memory-store.js';
import { runStoreContract } from './store-contract.js';

runStoreContract('MemoryStore', async ({ maxCount }) => {
  const store = new MemoryStore({ size: maxCount });
  return { store, cleanup: () => store.close() };
});
