import type { Logger } from '../logger';
import type { AdapterSetup } from './adapter-setup';

/** No REDIS_URL: one node alone on the in-memory adapter Socket.IO makes itself. */
export function inMemoryAdapter(logger: Logger): AdapterSetup {
  return {
    serverOptions: {},
    async start() {
      logger.warn('REDIS_URL is not set: running alone on the in-memory adapter, no cross-node delivery');
    },
    async subscriptionsSettled() {},
  };
}
