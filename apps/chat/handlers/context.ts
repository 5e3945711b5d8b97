import type { Server, Socket } from 'socket.io';
import type { AppLogger, Identity, Platform } from '../../../contract/app';
import type { ChatConfig } from '../config';

/** What every handler of one socket may use. */
export interface HandlerContext {
  readonly io: Server;
  readonly socket: Socket;
  readonly logger: AppLogger;
  readonly config: ChatConfig;
  readonly platform: Platform;
  /** Who the socket is (the platform put it on socket.data before the chat saw the socket). */
  readonly identity: Identity;
}
