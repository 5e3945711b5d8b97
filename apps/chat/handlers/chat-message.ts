import { randomUUID } from 'node:crypto';
import { type ChatMessage, EVENTS, chatPayload, failure } from '../protocol';
import { defineHandler } from './handler';
import { refuseReservedRoom } from './reserved-rooms';

export const chatMessage = defineHandler({
  event: EVENTS.chatMessage,
  schema: chatPayload,
  handle({ room, text }, { io, socket, config, platform, identity }, afterAck) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > config.maxTextBytes) {
      return failure('payload_too_large', `text is ${bytes} bytes, the limit is ${config.maxTextBytes}`);
    }
    const target = room ?? null;
    const reserved = refuseReservedRoom(target);
    if (reserved) return reserved;
    if (target === null && !platform.auth.mayBroadcast(socket)) {
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
      node: platform.nodeId,
    };
    // The protocol promises the ack before the broadcast; the adapter catches its own publish failures.
    afterAck(() => (target === null ? io : io.to(target)).emit(EVENTS.chatMessage, message));
    return { ok: true, id: message.id };
  },
});
