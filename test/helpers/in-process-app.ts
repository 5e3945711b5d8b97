import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import chat, { http as chatHttp, settings as chatSettings } from '../../apps/chat';
import { type App, createApp } from '../../service/src/app';
import type { AppModule } from '../../service/src/app-module';
import { loadConfig } from '../../service/src/config';
import { createLogger } from '../../service/src/logger';

/** The demo chat from its sources: the app a bundled node runs by default. */
export const CHAT_APP: AppModule = { file: 'apps/chat/index.ts', app: chat, http: chatHttp, settings: chatSettings };

/**
 * createApp on a loopback port inside the test's own process, for tests that read its metrics or
 * stall its event loop (a bundled node in a child process cannot be stalled from here). Silent logs; the chat app
 * unless `app` says otherwise.
 */
export async function startInProcessApp(
  env: NodeJS.ProcessEnv,
  nodeId: string,
  app: AppModule = CHAT_APP,
): Promise<{ app: App; url: string }> {
  const server = createServer();
  const created = createApp(server, loadConfig({ LOG_LEVEL: 'silent', ...env }), {
    logger: createLogger({ level: 'silent', nodeId }),
    nodeId,
    app,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await created.ready;
  return { app: created, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
