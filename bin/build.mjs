// Bundles the service into one file: the artifact the tests run and the Dockerfile copies.
import { build } from 'esbuild';

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
