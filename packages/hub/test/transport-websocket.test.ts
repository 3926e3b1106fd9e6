/** Issue 16: the subscription protocol over websocket, the same suite as every transport (support/transport-contract.ts). */

import { WEBSOCKET } from './support/transport-clients.js';
import { runTransportContract } from './support/transport-contract.js';

runTransportContract(WEBSOCKET);
