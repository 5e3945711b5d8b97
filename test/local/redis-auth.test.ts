import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCluster, startLocalCluster } from '../../local/local-cluster';
import { getJson } from '../helpers/clients';
import { freePorts } from '../helpers/ports';

describe('the local cluster’s Redis requires AUTH, as ElastiCache does', () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startLocalCluster({ ports: await freePorts(1) });
  });
  afterAll(async () => cluster?.stop());

  it('refuses commands without the generated password, and the nodes use it', async () => {
    const anonymous = createClient({ url: cluster.redisUrl, socket: { reconnectStrategy: false } });
    anonymous.on('error', () => undefined);
    await anonymous.connect();
    await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
    await anonymous.quit();

    expect(cluster.redisPassword).toMatch(/^[\w-]{32,}$/);
    expect(cluster.redisUrl).not.toContain(cluster.redisPassword!);
    const authed = createClient({ url: cluster.redisUrl, password: cluster.redisPassword, socket: { reconnectStrategy: false } });
    await authed.connect();
    expect(await authed.ping()).toBe('PONG');
    await authed.quit();
    expect((await getJson(`${cluster.nodes[0].url}/healthz`)).body.redis).toBe('ready');
    // The password is never logged.
    expect(JSON.stringify(cluster.nodes[0].logs)).not.toContain(cluster.redisPassword!);
  });
});
