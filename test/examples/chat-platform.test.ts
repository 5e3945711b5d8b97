import { expect } from 'vitest';
import { platformSuite } from './platform-suite';

/** examples/chat: a name makes a socket one of the chat's users (room `chat:users`), whom every message reaches. */
platformSuite({
  app: 'examples/chat',
  audienceRoom: 'chat:users',
  async enter(client, user) {
    expect(await client.socket.timeout(10_000).emitWithAck('add user', user)).toMatchObject({ ok: true });
  },
  say: (socket, text) => socket.emit('new message', text),
  heard: { event: 'new message', matches: (args, text) => (args[0] as { message?: string } | undefined)?.message === text },
  chatter: { event: 'typing', args: [] },
});
