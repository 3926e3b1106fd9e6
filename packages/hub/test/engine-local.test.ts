import { OutageStore, runEngineContract } from '@tidings/test-support';
import { LocalEngine } from '../src/engine/local-engine.js';
import { MemoryStore } from '../src/store/memory-store.js';

// The local engine serves one process: the contract runs with one node, and its outage is its
// store's (a disk or database that stops answering).
let store: OutageStore | undefined;

runEngineContract('LocalEngine', {
  maxNodes: 1,
  readinessFollowsOutage: false,
  async start() {
    store = new OutageStore(new MemoryStore({ size: 1000 }));
    const engine = new LocalEngine(store);
    return { nodes: [engine], close: () => engine.close() };
  },
  async outage() {
    store?.down();
  },
  async recover() {
    store?.up();
  },
});
