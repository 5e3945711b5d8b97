import { createClient } from 'redis';
import { expect, it } from 'vitest';
import { startLocalCluster } from '../../local/local-cluster';
import { startRedisCluster } from '../../local/redis-cluster';
import { closeAllClients, openClient } from '../helpers/clients';
import { freePorts } from '../helpers/ports';
import { clusterSuite } from './cluster-suite';

clusterSuite(
  'sharded adapter (SPUBLISH/SSUBSCRIBE) on a 3-primary Redis Cluster, 3 bundled nodes',
  async () => {
    const redis = await startRedisCluster({ primaries: 3 });
    try {
      const cluster = await startLocalCluster({ ports: await freePorts(3), redisUrl: redis.urls[0], env: { ADAPTER: 'sharded' } });
      return {
        urls: cluster.nodes.map((n) => n.url),
        redisUrls: redis.urls,
        stop: async () => {
          await cluster.stop();
          await redis.stop();
        },
      };
    } catch (err) {
      await redis.stop();
      throw err;
    }
  },
  (cluster) => {
    it('spreads room channels over more than one shard', async () => {
      const client = await openClient(cluster().urls[0]);
      for (let i = 0; i < 12; i++) expect(await client.request('room:join', { room: `spread-${i}` })).toMatchObject({ ok: true });
      const perShard = await Promise.all(
        cluster().redisUrls.map(async (url) => {
          const redis = createClient({ url });
          await redis.connect();
          const channels = (await redis.sendCommand(['PUBSUB', 'SHARDCHANNELS', '*spread-*'])) as string[];
          await redis.close();
          return channels.length;
        }),
      );
      closeAllClients();
      expect(perShard.filter((n) => n > 0).length).toBeGreaterThan(1);
      expect(perShard.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(12);
    });
  },
);
