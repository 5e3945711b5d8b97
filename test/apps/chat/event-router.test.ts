import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { HandlerContext } from '../../../apps/chat/handlers/context';
import { EventRouter } from '../../../apps/chat/handlers/event-router';
import { defineHandler } from '../../../apps/chat/handlers/handler';
import { createChatRouter } from '../../../apps/chat/handlers';
import { EVENTS } from '../../../apps/chat/protocol';
import { createLogger } from '../../../service/src/logger';

/** A handler the protocol does not have: its event must be known once it is registered, with nothing else to edit. */
const echo = defineHandler({
  event: 'test:echo',
  schema: z.object({ word: z.string({ message: 'word must be a string' }) }),
  handle: ({ word }) => ({ ok: true, word }),
});

const throws = defineHandler({
  event: 'test:throws',
  schema: z.unknown(),
  handle: () => {
    throw new Error('a bug');
  },
});

const invalid = (code: string) => ({ ok: false, error: { code, message: expect.any(String) } });

describe('EventRouter', () => {
  let http: HttpServer;
  let io: Server;
  let client: ClientSocket;
  const router = new EventRouter().register(echo).register(throws);
  const request = (event: string, payload?: unknown) => client.timeout(5_000).emitWithAck(event, payload) as Promise<unknown>;

  beforeAll(async () => {
    http = createServer();
    io = new Server(http);
    const logger = createLogger({ level: 'silent', nodeId: 'router-test' });
    // These handlers read only the socket and the logger. A middleware ahead of the router, as the platform's limits are:
    // it answers `test:refused` itself and stops it.
    io.on('connection', (socket) => {
      socket.use((packet, next) => {
        if (packet[0] !== 'test:refused') return next();
        const ack = packet.at(-1) as unknown;
        if (typeof ack === 'function') ack({ ok: false, error: { code: 'rate_limited', message: 'refused ahead' } });
      });
      router.attach({ socket, logger } as unknown as HandlerContext);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    client = connect(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, { transports: ['websocket'], forceNew: true });
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  });
  afterAll(async () => {
    client?.disconnect();
    await io?.close();
  });

  it('knows exactly the events of the handlers registered on it', () => {
    expect([...router.events].sort()).toEqual(['test:echo', 'test:throws']);
  });

  it("answers a newly registered handler's event, and an event nobody registered with unknown_event", async () => {
    expect(await request('test:echo', { word: 'hi' })).toEqual({ ok: true, word: 'hi' });
    expect(await request('test:nobody', { word: 'hi' })).toEqual(invalid('unknown_event'));
  });

  it('answers unknown events only once the middlewares ahead of it let them through', async () => {
    expect(await request('test:refused', { word: 'hi' })).toEqual({ ok: false, error: { code: 'rate_limited', message: 'refused ahead' } });
  });

  it('validates the payload at the edge, and answers a handler that throws with internal', async () => {
    expect(await request('test:echo', { word: 5 })).toEqual({
      ok: false,
      error: { code: 'invalid_payload', message: 'word must be a string' },
    });
    expect(await request('test:throws', {})).toEqual(invalid('internal'));
  });

  it('refuses a second handler for one event', () => {
    expect(() => new EventRouter().register(echo).register(echo)).toThrow(/handler for test:echo is already registered/);
  });

  it("derives the protocol's known events from its handlers: every client event, and nothing else", () => {
    expect([...createChatRouter().events].sort()).toEqual(Object.values(EVENTS).sort());
  });
});
