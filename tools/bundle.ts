/**
 * The one artifact a node runs, built in one place for `npm run build`, `npm start -- --app PATH` and `cdk synth`:
 *
 *   <out>/server.js             the platform (service/src/main.ts), bundled
 *   <out>/client/               the browser client, served at /socket.io/socket.io.min.js as a stock server serves it
 *   <out>/app/index.js          the app, bundled with its npm dependencies (CommonJS, whatever the app's own format)
 *   <out>/app/public/           the app's `public/` folder, when it has one, so that `join(__dirname, 'public')` still finds it
 *
 * The platform loads `app/index.js` beside itself unless APP_MODULE names another file.
 */
import { buildSync, type BuildOptions } from 'esbuild';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

/** The app `npm start`, `npm run build` and a deploy without an `app` key run: the demo chat. */
export const DEFAULT_APP = 'apps/chat';

/** Where the platform looks for its app, relative to server.js (and the name of APP_MODULE's default). */
export const APP_BUNDLE = join('app', 'index.js');

/** The files an app directory may name as its entry, in this order, when its package.json names none. */
const ENTRY_NAMES = ['index.ts', 'index.mts', 'index.cts', 'index.js', 'index.mjs', 'index.cjs'];

/** An app path that is not an app: the message names the path and what was expected. */
export class AppPathError extends Error {
  override name = 'AppPathError';
}

const shared: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  minify: false,
  legalComments: 'linked',
  logLevel: 'silent',
  // Optional native speed-ups of ws; the pure-JS fallbacks are used without them.
  external: ['bufferutil', 'utf-8-validate'],
};

/** The entry file of an app given as a file, or as a directory (its package.json `main`, or index.{ts,js,…}). */
export function resolveAppEntry(appPath: string, cwd = process.cwd()): string {
  const path = resolve(cwd, appPath);
  if (!existsSync(path)) throw new AppPathError(`app ${appPath}: no such file or directory`);
  if (statSync(path).isFile()) return path;
  const pkgFile = join(path, 'package.json');
  if (existsSync(pkgFile)) {
    const main = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { main?: unknown }).main;
    if (typeof main === 'string' && existsSync(join(path, main))) return join(path, main);
  }
  const entry = ENTRY_NAMES.map((name) => join(path, name)).find((file) => existsSync(file));
  if (!entry) throw new AppPathError(`app ${appPath}: a directory needs a package.json "main" or one of ${ENTRY_NAMES.join(', ')}`);
  return entry;
}

/** Runs esbuild, turning its errors into one message that names the app and the first problem's file and line. */
function build(what: string, options: BuildOptions): void {
  try {
    buildSync({ ...shared, ...options });
  } catch (err) {
    const first = (err as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }).errors?.[0];
    if (!first) throw err;
    const at = first.location ? ` (${first.location.file}:${first.location.line})` : '';
    throw new AppPathError(`${what} does not build: ${first.text}${at}`);
  }
}

/** Bundles the platform and the browser client into `outDir`. */
export function bundlePlatform(outDir: string): void {
  build('the platform', { entryPoints: [join(ROOT, 'service', 'src', 'main.ts')], outfile: join(outDir, 'server.js') });
  const client = join(ROOT, 'node_modules', 'socket.io-client', 'dist', 'socket.io.min.js');
  if (!existsSync(client)) throw new AppPathError(`${client} is missing: run npm ci`);
  mkdirSync(join(outDir, 'client'), { recursive: true });
  for (const file of [client, `${client}.map`]) if (existsSync(file)) copyFileSync(file, join(outDir, 'client', file.split('/').pop()!));
}

/**
 * Bundles the app at `appPath` (a file or a directory) into `<outDir>/app/`, with its npm dependencies, as CommonJS:
 * an ES module's `export default` and `export const http` arrive as the module's `default` and `http`, and
 * `import.meta.url`/`dirname`/`filename` keep meaning the bundle's own file.
 */
export function bundleApp(appPath: string, outDir: string): string {
  const entry = resolveAppEntry(appPath);
  const appDir = join(outDir, dirname(APP_BUNDLE));
  rmSync(appDir, { recursive: true, force: true });
  build(`app ${appPath}`, {
    entryPoints: [entry],
    outfile: join(outDir, APP_BUNDLE),
    banner: { js: 'const __appImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
    define: { 'import.meta.url': '__appImportMetaUrl', 'import.meta.dirname': '__dirname', 'import.meta.filename': '__filename' },
  });
  const pub = join(dirname(entry), 'public');
  if (existsSync(pub) && statSync(pub).isDirectory()) cpSync(pub, join(appDir, 'public'), { recursive: true });
  return join(outDir, APP_BUNDLE);
}

/** What `npm run build` writes, and the tests and the local cluster run. */
export const DIST = join(ROOT, 'service', 'dist');

/** `npm run build`: the platform and the demo chat into DIST, emptied first so that nothing stale survives. */
export function buildDist(): void {
  rmSync(DIST, { recursive: true, force: true });
  bundleNode({ outDir: DIST });
}

/** The whole artifact: the platform and one app. */
export function bundleNode(opts: { readonly app?: string; readonly outDir: string }): void {
  bundlePlatform(opts.outDir);
  bundleApp(opts.app ?? join(ROOT, DEFAULT_APP), opts.outDir);
}

/** The image's build context besides the artifact: the Dockerfile and its ignore file, from service/. */
const IMAGE_FILES = ['Dockerfile', '.dockerignore'];

/**
 * A new build context for the node's image in a fresh directory under `parent`: the Dockerfile, and the whole artifact
 * bundled afresh under dist/ (what the Dockerfile copies). `cdk synth` stages into `.build/`, so that the source maps'
 * relative paths, and with them the image asset's hash, are the same in every checkout. The caller removes the directory.
 */
export function stageImage(opts: { readonly app?: string; readonly parent: string }): string {
  mkdirSync(opts.parent, { recursive: true });
  const dir = mkdtempSync(join(opts.parent, 'image-'));
  try {
    bundleNode({ app: opts.app, outDir: join(dir, 'dist') });
    for (const name of IMAGE_FILES) copyFileSync(join(ROOT, 'service', name), join(dir, name));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return dir;
}
