/** Issue 16: the subscription protocol over sse, the same suite as every transport (support/transport-contract.ts). */

import { SSE } from './support/transport-clients.js';
import { runTransportContract } from './support/transport-contract.js';

runTransportContract(SSE);
