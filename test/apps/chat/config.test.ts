import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadChatConfig } from '../../../apps/chat/config';
import { BUNDLE } from '../../../local/service-node';

describe("the chat's own settings", () => {
  it('applies defaults', () => {
    expect(loadChatConfig({})).toEqual({ maxTextBytes: 4_096, maxRoomsPerSocket: 50, presencePerSocket: { ratePerS: 1, burst: 5 } });
  });

  it.each([
    [{ MAX_TEXT_BYTES: '0' }, /^MAX_TEXT_BYTES="0": must be an integer from 1 to 1048576$/],
    [{ MAX_ROOMS_PER_SOCKET: 'many' }, /^MAX_ROOMS_PER_SOCKET="many": must be an integer from 1 to 10000$/],
    [{ RATE_LIMIT_PRESENCE_PER_SOCKET_BURST: '0' }, /^RATE_LIMIT_PRESENCE_PER_SOCKET_BURST="0": must be an integer/],
    [{ MAX_TEXT_BYTES: '65536', MAX_HTTP_BUFFER_BYTES: '65536' }, /MAX_HTTP_BUFFER_BYTES \(65536\) must be at least MAX_TEXT_BYTES \+ 512/],
  ])('rejects %j in one line naming the variable', (env, message) => {
    expect(() => loadChatConfig(env)).toThrow(message);
  });

  it('stops the bundled node with exit 1 and one line naming the app and the variable', () => {
    const run = spawnSync(process.execPath, [BUNDLE], {
      env: { ...process.env, PORT: '0', REDIS_URL: '', MAX_TEXT_BYTES: '0' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    // The node's JSON log lines go to stdout; stderr has the one line.
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^app \S+app[/\\]index\.js failed to start: MAX_TEXT_BYTES="0": must be an integer from 1 to 1048576$/),
    ]);
  });
});
