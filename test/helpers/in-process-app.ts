import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type App, createApp } from '../../service/src/app';
import { loadConfig } from '../../service/src/config';
import { createLogger } from '../../service/src/logger';

/**
 * createApp on a loopback port inside the test's own process, for tests that read its metrics or
 * stall its event loop (a bundled node in a child process cannot be stalled from here). Silent logs.
 */
export async function startInProcessApp(env: NodeJS.ProcessEnv, nodeId: string): Promise<{ app: App; url: string }> {
  const server = createServer();
  const app = createApp(server, loadConfig({ LOG_LEVEL: 'silent', ...env }), { logger: createLogger({ level: 'silent', nodeId }), nodeId });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await app.ready;
  return { app, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
