import type { RedisClientType } from 'redis';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/publisher';

/** How often the pub client checks that it still talks to a primary (the failover bound). */
const ROLE_CHECK_INTERVAL_MS = 2_000;

/**
 * After a failover, a connection that stayed open may talk to the demoted primary, which
 * accepts PUBLISH but shares it with no one who moved on. Killing our own connections there
 * (the clients named `namePrefix`…) makes node-redis reconnect them, resolving the endpoint
 * anew and re-subscribing. Returns the function that stops the watch.
 */
export function watchPrimaryRole(
  client: RedisClientType,
  namePrefix: string,
  log: Logger,
  metrics: Pick<Metrics, 'increment'>,
): () => void {
  let checking = false;
  const checkRole = async () => {
    if (checking || !client.isReady) return;
    checking = true;
    try {
      const role = (await client.sendCommand(['ROLE'])) as unknown[];
      if (role[0] === 'master') return;
      log.warn({ role: role[0] }, 'redis endpoint is no longer a primary, reconnecting every client');
      metrics.increment('redisAdapterErrors');
      await killOwnConnections(client, namePrefix);
    } catch {
      // A failed check is a connection problem, which node-redis handles by reconnecting.
    } finally {
      checking = false;
    }
  };
  const timer = setInterval(() => void checkRole(), ROLE_CHECK_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

async function killOwnConnections(client: RedisClientType, namePrefix: string): Promise<void> {
  const list = String(await client.sendCommand(['CLIENT', 'LIST']));
  const ids = [...list.matchAll(/(?:^|\n)id=(\d+) .*?name=(\S*)/g)].filter(([, , name]) => name.startsWith(namePrefix)).map(([, id]) => id);
  const own = String(await client.sendCommand(['CLIENT', 'ID']));
  // Our own connection last, or the kills after it would not be sent.
  for (const id of [...ids.filter((i) => i !== own), own]) {
    // SKIPME defaults to yes: without `no`, our own connection would survive its kill.
    await client.sendCommand(['CLIENT', 'KILL', 'ID', id, 'SKIPME', 'no']).catch(() => undefined);
  }
}
