import { randomUUID } from 'node:crypto';
import { isReservedRoom } from '../../../contract/api';
import { type ChatMessage, EVENTS, chatPayload, fail } from '../../../contract/events';
import type { HandlerContext } from './context';
import { defineHandler } from './handler';

export function registerChatHandlers(ctx: HandlerContext): void {
  const { io, socket, logger, config, nodeId, identity, metrics } = ctx;

  defineHandler(socket, logger, EVENTS.chatMessage, chatPayload, ({ room, text }, afterAck) => {
    // Refusing costs an ack; accepting would cost a write to every member, and make every message later.
    if (ctx.overloaded()) return fail('overloaded', 'the server is overloaded, retry shortly');
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > config.maxTextBytes) {
      return fail('payload_too_large', `text is ${bytes} bytes, the limit is ${config.maxTextBytes}`);
    }
    const target = room ?? null;
    // api: a socket is in its user room, but that room carries only what the backend publishes.
    if (target !== null && isReservedRoom(target)) return fail('forbidden', `${target} is the server's`);
    if (target !== null && !socket.rooms.has(target)) {
      return fail('not_in_room', `join ${target} before sending to it`);
    }
    const message: ChatMessage = {
      id: randomUUID(),
      room: target,
      text,
      from: identity.user,
      sentAt: new Date().toISOString(),
      node: nodeId,
    };
    metrics.increment('messagesIn');
    // The protocol promises the ack before the broadcast; the adapter catches its own publish failures.
    afterAck(() => (target === null ? io : io.to(target)).emit(EVENTS.chatMessage, message));
    return { ok: true, id: message.id };
  });
}
