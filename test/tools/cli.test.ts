import { describe, expect, it } from 'vitest';
import { CliError, EXIT, exitCodeForSignal, HelpRequested, reportError, UsageError } from '../../tools/cli';
import { MissingBinaryError, requireBinary } from '../../tools/processes';

const capture = () => {
  const io = {
    outText: '',
    errText: '',
    out: { write: (s: string) => (io.outText += s) },
    err: { write: (s: string) => (io.errText += s) },
  };
  return io;
};
const command = { name: 'demo', usage: 'usage: demo --flag' };

describe('CLI errors and exit codes', () => {
  it('uses sysexits codes for usage (64), a missing program (69) and a setup to fix (78)', () => {
    expect(EXIT).toEqual({ ok: 0, failure: 1, checkFailed: 2, usage: 64, unavailable: 69, config: 78 });
    expect(new UsageError('x').exitCode).toBe(64);
    expect(new HelpRequested().exitCode).toBe(0);
  });

  it('a missing binary is a CliError with exit code 69 naming it and how to install it', () => {
    let caught: unknown;
    try {
      requireBinary('no-such-binary-for-this-test', 'apt-get install no-such-package');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MissingBinaryError);
    expect(caught).toBeInstanceOf(CliError);
    expect(caught).toMatchObject({
      exitCode: 69,
      message: 'no-such-binary-for-this-test was not found: install it with `apt-get install no-such-package`',
    });
  });

  it('reports a usage error with the usage text, on stderr, exit 64', () => {
    const io = capture();
    expect(reportError(command, new UsageError('--flag needs a value'), io)).toBe(64);
    expect(io.errText).toBe('demo: --flag needs a value\nusage: demo --flag\n');
    expect(io.outText).toBe('');
  });

  it('prints --help to stdout, exit 0', () => {
    const io = capture();
    expect(reportError(command, new HelpRequested(), io)).toBe(0);
    expect(io.outText).toBe('usage: demo --flag\n');
    expect(io.errText).toBe('');
  });

  it('reports any other CliError as its message and code, anything else with its stack, exit 1', () => {
    const io = capture();
    expect(reportError(command, new CliError('redis-server was not found', EXIT.unavailable), io)).toBe(69);
    expect(io.errText).toBe('demo: redis-server was not found\n');
    const bug = capture();
    expect(reportError(command, new TypeError('undefined is not a function'), bug)).toBe(1);
    expect(bug.errText).toMatch(/^demo failed: TypeError: undefined is not a function\n\s+at /);
  });

  it('gives a signal the shell convention, 128 + its number', () => {
    expect(exitCodeForSignal('SIGINT')).toBe(130);
    expect(exitCodeForSignal('SIGTERM')).toBe(143);
  });
});
