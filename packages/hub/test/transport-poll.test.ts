/** Issue 16: the subscription protocol over poll, the same suite as every transport (support/transport-contract.ts). */

import { POLL } from './support/transport-clients.js';
import { runTransportContract } from './support/transport-contract.js';

runTransportContract(POLL);
