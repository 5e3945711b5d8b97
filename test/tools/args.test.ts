import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { choiceList, choiceOption, inputFileOption, numberOption, outputFileOption, parseCommandLine } from '../../tools/args';
import { HelpRequested, UsageError } from '../../tools/cli';

const OPTIONS = { out: { type: 'string' }, quick: { type: 'boolean' } } as const;

describe('parseCommandLine', () => {
  it('reads --flag value and --flag=value', () => {
    expect(parseCommandLine(['--out', 'a.json', '--quick'], OPTIONS).values).toEqual({ out: 'a.json', quick: true });
    expect(parseCommandLine(['--out=b.json'], OPTIONS).values).toEqual({ out: 'b.json' });
  });

  it.each([
    [['--fast'], 'unknown option --fast'],
    [['-x'], 'unknown option -x'],
    [['--out'], '--out needs a value'],
    [['--out', '--quick'], '--out needs a value'],
    [['--quick=yes'], '--quick takes no value'],
    [['stray'], 'unexpected argument "stray"'],
  ])('refuses %j with a UsageError saying only what was wrong', (argv, message) => {
    expect(() => parseCommandLine(argv, OPTIONS)).toThrow(new UsageError(message));
  });

  it('takes positionals only when asked to, and turns --help / -h into HelpRequested', () => {
    expect(parseCommandLine(['status', '--quick'], OPTIONS, { positionals: true }).positionals).toEqual(['status']);
    expect(() => parseCommandLine(['--help'], OPTIONS)).toThrow(HelpRequested);
    expect(() => parseCommandLine(['--out', 'x', '-h'], OPTIONS)).toThrow(HelpRequested);
  });
});

describe('numberOption', () => {
  it('gives the default when absent, the number when it fits the rule', () => {
    expect(numberOption('--nodes', undefined, { integer: true, min: 1, max: 9, default: 2 })).toBe(2);
    expect(numberOption('--nodes', '9', { integer: true, min: 1, max: 9, default: 2 })).toBe(9);
    expect(numberOption('--hours', '1.5', { above: 0, max: 336 })).toBe(1.5);
    expect(numberOption('--seed', undefined, { integer: true })).toBeUndefined();
  });

  it.each([
    ['--nodes', '0', { integer: true, min: 1, max: 9 }, '--nodes must be an integer from 1 to 9, got "0"'],
    ['--nodes', '2.5', { integer: true, min: 1, max: 9 }, '--nodes must be an integer from 1 to 9, got "2.5"'],
    ['--hours', '0', { above: 0, max: 336 }, '--hours must be a number above 0 and at most 336, got "0"'],
    ['--rate', 'fast', { above: 0 }, '--rate must be a number above 0, got "fast"'],
    ['--room-size', '', { integer: true, min: 1 }, '--room-size must be an integer of at least 1, got ""'],
    ['--msg-rate', 'Infinity', {}, '--msg-rate must be a number, got "Infinity"'],
  ] as const)('%s %j fails naming the flag, the rule and the value', (flag, value, rule, message) => {
    expect(() => numberOption(flag, value, rule)).toThrow(new UsageError(message));
  });

  it('names a required option that is missing', () => {
    expect(() => numberOption('--connections', undefined, { required: true })).toThrow(new UsageError('--connections is required'));
  });
});

describe('choiceList and choiceOption', () => {
  const rule = { choices: ['raw-ws', 'pubsub', 'streams', 'sharded'] as const, renamed: { c: 'pubsub', d: 'streams,sharded', x: 'gone' } };

  it('keeps the order of the choices, whatever the order given', () => {
    expect(choiceList('--modes', 'sharded, raw-ws', rule)).toEqual(['raw-ws', 'sharded']);
    expect(choiceOption('--adapter', 'streams', rule)).toBe('streams');
  });

  it('fails on an old name with the new one, on an unknown one with the choices', () => {
    expect(() => choiceList('--modes', 'raw-ws,c', rule)).toThrow(new UsageError('--modes c was renamed: use --modes pubsub'));
    expect(() => choiceList('--modes', 'd', rule)).toThrow(new UsageError('--modes d was renamed: use --modes streams,sharded'));
    // A rename to something this option does not take is no help: the value is just unknown.
    expect(() => choiceOption('--adapter', 'x', rule)).toThrow(
      new UsageError('--adapter takes one of raw-ws, pubsub, streams, sharded, got x'),
    );
    expect(() => choiceList('--modes', 'z', rule)).toThrow(
      new UsageError('--modes takes a comma-separated subset of raw-ws,pubsub,streams,sharded, got z'),
    );
    expect(() => choiceList('--modes', ',', rule)).toThrow(/--modes takes a comma-separated subset/);
  });
});

describe('inputFileOption and outputFileOption', () => {
  const dir = mkdtempSync(join(tmpdir(), 'args-files-'));
  const file = join(dir, 'server.js');
  writeFileSync(file, '');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes a file that exists, and names the flag and what it takes otherwise', () => {
    expect(inputFileOption('--a', file, 'a bundle')).toBe(file);
    expect(() => inputFileOption('--a', join(dir, 'x.js'), 'a bundle')).toThrow(
      new UsageError(`--a ${join(dir, 'x.js')}: no such file; it takes a bundle`),
    );
    expect(() => inputFileOption('--a', dir, 'a bundle')).toThrow(new UsageError(`--a ${dir}: no such file; it takes a bundle`));
  });

  it('takes a file to write, also under directories still to be made, and refuses one that cannot be written', () => {
    expect(outputFileOption('--out', file)).toBe(file);
    expect(outputFileOption('--out', join(dir, 'new', 'deeper', 'r.json'))).toBe(join(dir, 'new', 'deeper', 'r.json'));
    const fix = 'give a file in a directory you can write to';
    expect(() => outputFileOption('--out', dir)).toThrow(new UsageError(`--out ${dir}: is a directory; ${fix}`));
    expect(() => outputFileOption('--out', join(file, 'r.json'))).toThrow(
      new UsageError(`--out ${join(file, 'r.json')}: ${file} is not a directory; ${fix}`),
    );
  });
});
