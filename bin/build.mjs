// Bundles the service into one file: the artifact the tests run and the Dockerfile copies.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

await build({
  entryPoints: ['service/src/main.ts'],
  outfile: 'service/dist/server.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  minify: false,
  legalComments: 'linked',
  logLevel: 'warning',
  // Optional native speed-ups of ws; the pure-JS fallbacks are used without them.
  external: ['bufferutil', 'utf-8-validate'],
});

// The demo page and the browser client travel with the bundle: the image carries only dist/.
const out = 'service/dist/public';
mkdirSync(out, { recursive: true });
for (const name of readdirSync('service/public')) copyFileSync(join('service/public', name), join(out, name));
const client = 'node_modules/socket.io-client/dist/socket.io.min.js';
for (const file of [client, `${client}.map`]) {
  if (existsSync(file)) copyFileSync(file, join(out, file.split('/').pop()));
  else if (file === client) throw new Error(`${client} is missing: run npm ci`);
}
