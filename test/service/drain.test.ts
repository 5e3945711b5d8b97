import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { startRedisServer, type RedisServer } from '../../local/redis-server';
import { startServiceNode } from '../../local/service-node';
import { closeAllClients, openClient } from '../helpers/clients';

const disconnectReason = (socket: Socket) => new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));

describe('SIGTERM', () => {
  let redis: RedisServer | undefined;
  afterEach(() => closeAllClients());
  afterAll(async () => redis?.stop());

  it('drains: clients see a reconnectable disconnect, and the node exits 0 within DRAIN_TIMEOUT_MS', async () => {
    redis = await startRedisServer();
    const node = await startServiceNode({ env: { REDIS_URL: redis.url, DRAIN_TIMEOUT_MS: '8000' } });
    const clients = await Promise.all(Array.from({ length: 5 }, () => openClient(node.url, { reconnection: true })));
    const reasons = Promise.all(clients.map((c) => disconnectReason(c.socket)));

    const exit = node.stop('SIGTERM');
    // "transport close" is a disconnect the client recovers from by itself; "io server disconnect" is not.
    expect(await reasons).toEqual(Array(5).fill('transport close'));
    for (const c of clients) expect(c.socket.active).toBe(true);
    // The node's own hard stop exits 1 when the bound passes, so 0 means it drained in time.
    expect(await exit).toEqual({ code: 0, signal: null });
    const messages = node.logs.map((l) => l.msg);
    expect(messages).toContain('draining');
    expect(messages.indexOf('closed')).toBeGreaterThan(messages.indexOf('draining'));
  });
});
