import { EXIT, UsageError } from '../tools/cli';
import { buildClients, explainAwsError, type ClientOptions, type OncallClients } from './aws';
import { runMetrics } from './metrics';
import { parseOptions, USAGE, type Options } from './options';
import { runStatus } from './status';

export interface Writable {
  write(chunk: string): unknown;
}

export interface CliIo {
  out: Writable;
  err: Writable;
  /** Ready clients, or a factory that receives --region/--profile; default: real SDK clients. */
  clients?: OncallClients | ((opts: ClientOptions) => OncallClients);
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

/**
 * Exit codes (tools/cli.ts): 0 done, 64 a bad command line, 78 a setup the caller can fix
 * (credentials, region, stack name), 1 anything else.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const say = (w: Writable, lines: string[]) => void w.write(`${lines.join('\n')}\n`);
  let opts: Options;
  try {
    opts = parseOptions(argv, io.env ?? process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    say(io.err, [`oncall: ${err.message} (see --help)`]);
    return EXIT.usage;
  }
  if (opts.command === 'help') {
    say(io.out, [USAGE]);
    return EXIT.ok;
  }

  const clientOpts: ClientOptions = { region: opts.region, profile: opts.profile };
  let clients: OncallClients;
  try {
    clients = typeof io.clients === 'function' ? io.clients(clientOpts) : (io.clients ?? buildClients(clientOpts));
  } catch (err) {
    return failed(err);
  }
  const now = io.now?.() ?? new Date();
  try {
    const lines =
      opts.command === 'status' ? await runStatus(clients, opts.stack, now) : await runMetrics(clients, opts.stack, opts.hours, now);
    say(io.out, lines);
    return EXIT.ok;
  } catch (err) {
    return failed(err);
  } finally {
    if (!io.clients) {
      clients.cloudformation.destroy();
      clients.cloudwatch.destroy();
    }
  }

  function failed(err: unknown): number {
    const explained = explainAwsError(err, { stack: opts.stack, region: opts.region, profile: opts.profile });
    if (explained) {
      say(io.err, [`oncall: ${explained}`]);
      return EXIT.config;
    }
    const e = err instanceof Error ? err : new Error(String(err));
    say(io.err, [`oncall: ${opts.command} failed: ${e.name}: ${e.message.split('\n')[0]}`]);
    return EXIT.failure;
  }
}
