import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * service/src/delivery/fast-broadcast.ts reads private state of these packages (Engine.IO's writeBuffer and
 * transport, ws's Sender and TCP socket, the adapter's `_encode` then `apply`). It was checked against these
 * versions; another one may have moved what it reads, so an upgrade fails here until the path is checked again.
 */
const CHECKED = {
  'socket.io': '4.8.4',
  'socket.io-adapter': '2.5.8',
  'engine.io': '6.6.12',
  ws: '8.21.3',
} as const;

const installed = (pkg: string): string =>
  (JSON.parse(readFileSync(join(__dirname, '../../../node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

describe('the packages the broadcast fast path relies on', () => {
  for (const [pkg, version] of Object.entries(CHECKED)) {
    it(`${pkg} is the version the fast path was checked against (${version})`, () => {
      const found = installed(pkg);
      expect(
        found,
        `${pkg} is ${found}, the broadcast fast path was checked against ${version}: re-check service/src/delivery/fast-broadcast.ts ` +
          `(the internals it reads, then test/service/delivery/fast-broadcast.test.ts and a bench:ab run), then update CHECKED here`,
      ).toBe(version);
    });
  }
});
