export { connectTo } from './connect-to.js';
export {
  type EngineBackend,
  type EnginesUnderTest,
  historyIds,
  isUnavailable,
  retrying,
  runEngineContract,
  until,
} from './engine-contract.js';
export { decryptPush } from './fake-push-crypto.js';
export {
  type FakeAnswer,
  FakePushService,
  type FakeSubscription,
  type FakeSubscriptionJson,
  type ReceivedPush,
} from './fake-push-service.js';
export { NGINX, type NginxProxy, type NginxProxyOptions, startNginxProxy } from './nginx-proxy.js';
export { OutageStore } from './outage-store.js';
export { type PushStoreFactory, pushRecord, runPushStoreContract } from './push-store-contract.js';
export { freePort, type RedisServer, type RedisServerOptions, startRedisServer } from './redis-server.js';
export { SseReader, type StreamEnd } from './sse-reader.js';
export {
  runStoreContract,
  type StoreCapabilities,
  type StoreContractOptions,
  type StoreFactory,
  type StoreUnderTest,
  TOPIC,
  topicUpdate,
  update,
} from './store-contract.js';
