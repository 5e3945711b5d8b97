/**
 * The demo chat: rooms, messages with acks, member counts and presence across the cluster (docs/protocol.md). It is an
 * app like any other, built only on the app contract (contract/app.ts): the platform never imports it.
 */
import type { AppSettings, Identity, SocketApp } from '../../contract/app';
import { loadChatConfig } from './config';
import { createChatRouter } from './handlers';
import { serveChatPage } from './http';

const chat: SocketApp = (io, platform) => {
  const config = loadChatConfig(process.env);
  const router = createChatRouter();
  io.on('connection', (socket) => {
    router.attach({ io, socket, config, platform, logger: platform.logger, identity: socket.data.identity as Identity });
  });
};

export default chat;
export const http = serveChatPage;
/** The chat's events carry JSON only: a binary event closes its connection (`binary_refused`) before the node holds it. */
export const settings: AppSettings = { binary: false };
