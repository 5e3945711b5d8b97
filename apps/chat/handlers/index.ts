import { EventRouter } from './event-router';
import { chatMessage } from './chat-message';
import { roomJoin } from './room-join';
import { roomLeave } from './room-leave';
import { roomMembers } from './room-members';
import { roomPresence } from './room-presence';

/** The chat's protocol (docs/protocol.md): registering a handler here is all it takes for its event to be known. */
export function createChatRouter(): EventRouter {
  return new EventRouter().register(roomJoin).register(roomLeave).register(roomMembers).register(roomPresence).register(chatMessage);
}
