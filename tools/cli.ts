import { constants } from 'node:os';

/**
 * The exit codes of every command-line tool here (npm start, bench, soak, capacity, oncall, the CDK app).
 * Codes from 64 on are sysexits(3)'s, as the service's 78 for a bad configuration is.
 */
export const EXIT = {
  ok: 0,
  /** Something the tool did not expect: a bug, a server that would not start, a mode that failed. */
  failure: 1,
  /** The run finished and what it measured failed its check (the soak lost or duplicated messages). */
  checkFailed: 2,
  /** EX_USAGE: a bad command line; nothing was started. */
  usage: 64,
  /** EX_UNAVAILABLE: a program the tool needs (redis-server, haproxy, redis-cli) is not installed. */
  unavailable: 69,
  /**
   * EX_CONFIG: a setup the caller can fix: AWS credentials, region or stack name, a -c key, the
   * service's environment, a port another process holds.
   */
  config: 78,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The shell's code for a process ended by `signal`: 128 + its number (130 for SIGINT, 143 for SIGTERM). */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}

/** An error that ends a command with a one-line message and `exitCode`, without a stack trace. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

/** A bad command line: exit 64, and the command's usage text goes with the message. */
export class UsageError extends CliError {
  override name = 'UsageError';
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** `--help`: the usage text goes to stdout, exit 0. */
export class HelpRequested extends CliError {
  override name = 'HelpRequested';
  constructor() {
    super('help requested', EXIT.ok);
  }
}

export interface Command {
  /** Prefixes every error line, e.g. `bench`. */
  readonly name: string;
  /** Printed after a usage error, and for --help. */
  readonly usage: string;
}

export interface Io {
  readonly out: { write(chunk: string): unknown };
  readonly err: { write(chunk: string): unknown };
}

/**
 * What a failed command prints and returns: a CliError its message (and for a usage error the
 * usage text), anything else its stack. The code is for the caller to exit with.
 */
export function reportError(command: Command, err: unknown, io: Io): number {
  if (err instanceof HelpRequested) {
    io.out.write(`${command.usage}\n`);
    return EXIT.ok;
  }
  if (err instanceof UsageError) {
    io.err.write(`${command.name}: ${err.message}\n${command.usage}\n`);
    return err.exitCode;
  }
  if (err instanceof CliError) {
    io.err.write(`${command.name}: ${err.message}\n`);
    return err.exitCode;
  }
  io.err.write(`${command.name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT.failure;
}

/**
 * The whole of a bin/ entry: runs `main` and exits with what it returns (nothing: 0), or with
 * reportError's code. On success the process is left to end by itself, so that a command that
 * keeps servers running (npm start) goes on; on failure it exits at once, whatever is still open.
 */
export function runMain(command: Command, main: () => Promise<number | void> | number | void): void {
  Promise.resolve()
    .then(main)
    .then(
      (code) => {
        if (typeof code === 'number') process.exitCode = code;
      },
      (err: unknown) => process.exit(reportError(command, err, { out: process.stdout, err: process.stderr })),
    );
}

/**
 * For a script that runs at the top level (the CDK app, which the CDK CLI runs): an error it
 * throws that `isConfigError` recognises ends it with one line and exit 78 (a CliError with its
 * own code), anything else, a bug, with its stack and exit 1, as runMain does.
 */
export function exitOnUncaught(name: string, isConfigError: (err: unknown) => err is Error): void {
  process.once('uncaughtException', (err: unknown) => {
    const error = isConfigError(err) ? new CliError(err.message, EXIT.config) : err;
    process.exit(reportError({ name, usage: '' }, error, { out: process.stdout, err: process.stderr }));
  });
}
