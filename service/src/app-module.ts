import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { AppHttpHandler, AppSettings, SocketApp } from '../../contract/app';

/** An app the node cannot run: the message is one line naming the file and the problem. */
export class AppModuleError extends Error {
  override name = 'AppModuleError';
}

/** A loaded app: its function, its optional HTTP handler and settings, and the file it came from (for messages). */
export interface AppModule {
  readonly file: string;
  readonly app: SocketApp;
  readonly http?: AppHttpHandler;
  readonly settings?: AppSettings;
}

/** The shape of the `settings` export (contract/app.ts); an unknown key is refused, so that a misspelt one is not ignored. */
const settingsSchema = z.strictObject({
  binary: z
    .union([
      z.literal(false),
      z.strictObject({
        maxAttachments: z.number().int().min(1).max(10).optional(),
        maxAttachmentBytes: z.number().int().min(1).optional(),
      }),
    ])
    .optional(),
});

/** The app's `settings` export, checked; throws AppModuleError naming the setting. */
function appSettings(file: string, settings: unknown): AppSettings | undefined {
  if (settings === undefined) return undefined;
  const parsed = settingsSchema.safeParse(settings);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = ['settings', ...issue.path].join('.');
  throw new AppModuleError(
    `app ${file}: ${path}: ${issue.message} (binary: false, or { maxAttachments: 1-10, maxAttachmentBytes: a positive integer })`,
  );
}

/** The bundle's own app, beside server.js (tools/bundle.ts writes it there). */
export const BUNDLED_APP = join(__dirname, 'app', 'index.js');

const describe = (err: unknown) => (err instanceof Error ? err.message.split('\n')[0] : String(err));

/**
 * Loads an app module: CommonJS (`module.exports = app`, `module.exports.http = handler`, `module.exports.settings`) or
 * an ES module bundled to CommonJS (`export default app`, `export const http`, `export const settings`). Throws
 * AppModuleError when the file is missing, throws while loading, exports no app function, or exports bad settings.
 */
export function loadAppModule(path: string = BUNDLED_APP): AppModule {
  const file = resolve(path);
  if (!existsSync(file)) throw new AppModuleError(`app ${file}: no such file (APP_MODULE, or app/index.js beside the bundle)`);
  let exported: unknown;
  try {
    // createRequire keeps the bundler from resolving the app at build time: it is a file of the artifact, not a source.
    exported = createRequire(__filename)(file);
  } catch (err) {
    throw new AppModuleError(`app ${file} failed to load: ${describe(err)}`);
  }
  const mod = exported as { default?: unknown; http?: unknown; settings?: unknown } | undefined;
  const app = typeof exported === 'function' ? exported : mod?.default;
  if (typeof app !== 'function') {
    throw new AppModuleError(`app ${file} exports no app function: use module.exports = function app(io, platform) or export default`);
  }
  const http = mod?.http ?? (app as { http?: unknown }).http ?? (mod?.default as { http?: unknown } | undefined)?.http;
  if (http !== undefined && typeof http !== 'function') {
    throw new AppModuleError(`app ${file}: its http export is a ${typeof http}, not a (req, res) handler`);
  }
  const settings =
    mod?.settings ?? (app as { settings?: unknown }).settings ?? (mod?.default as { settings?: unknown } | undefined)?.settings;
  return { file, app: app as SocketApp, http: http as AppHttpHandler | undefined, settings: appSettings(file, settings) };
}

/** Runs the app on the node's server; an exception or a rejection becomes one line naming the file. */
export async function startAppModule(mod: AppModule, ...args: Parameters<SocketApp>): Promise<void> {
  try {
    await mod.app(...args);
  } catch (err) {
    throw new AppModuleError(`app ${mod.file} failed to start: ${describe(err)}`);
  }
}
