import { randomUUID } from 'node:crypto';
import { type ChatMessage, EVENTS, chatPayload, failure } from '../../../contract/events';
import { defineHandler } from './handler';
import { refuseReservedRoom } from './reserved-rooms';

export const chatMessage = defineHandler({
  event: EVENTS.chatMessage,
  schema: chatPayload,
  handle({ room, text }, { io, socket, config, nodeId, identity, metrics, overloaded }, afterAck) {
    // Refusing costs an ack; accepting would cost a write to every member, and make every message later.
    if (overloaded()) {
      metrics.increment('messagesShed');
      return failure('overloaded', 'the server is overloaded, retry shortly');
    }
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > config.maxTextBytes) {
      return failure('payload_too_large', `text is ${bytes} bytes, the limit is ${config.maxTextBytes}`);
    }
    const target = room ?? null;
    const reserved = refuseReservedRoom(target);
    if (reserved) return reserved;
    if (target === null && !identity.mayBroadcast) {
      return failure('forbidden', 'this token may send only to its rooms: messaging everyone needs the broadcast claim');
    }
    if (target !== null && !socket.rooms.has(target)) {
      return failure('not_in_room', `join ${target} before sending to it`);
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
  },
});
