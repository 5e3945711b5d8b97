import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HelpRequested, UsageError } from './cli';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util's parseArgs, strict, with `--help`/`-h` and errors that say only what was wrong
 * (a UsageError). `--flag value` and `--flag=value` both work; an option given twice keeps the last.
 */
export function parseCommandLine<const T extends Options>(argv: readonly string[], options: T, opts: { positionals?: boolean } = {}) {
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: opts.positionals ?? false,
    }) as typeof parsed;
  } catch (err) {
    throw new UsageError(describeParseError(err));
  }
  if (parsed.values.help) throw new HelpRequested();
  delete parsed.values.help;
  return { values: parsed.values as ParsedValues<T>, positionals: parsed.positionals };
}

type ParsedValues<T extends Options> = {
  [K in keyof T]?: T[K] extends { type: 'boolean' } ? boolean : string;
};

/** node:util's messages mention positionals, '--' and how to quote; say only what was wrong. */
export function describeParseError(err: unknown): string {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option ?? message}`;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument "${/'([^']*)'/.exec(message)?.[1] ?? message}"`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    // "argument missing" at the end of the line, "ambiguous" when the next word is another option.
    return `${option} ${/does not take an argument/.test(message) ? 'takes no value' : 'needs a value'}`;
  }
  return message;
}

export interface NumberRule {
  readonly integer?: boolean;
  /** Inclusive bounds. */
  readonly min?: number;
  readonly max?: number;
  /** An exclusive lower bound, for "above 0". */
  readonly above?: number;
}

/** "an integer from 1 to 16", "a number above 0 and at most 336". */
export function describeRule(rule: NumberRule): string {
  const what = rule.integer ? 'an integer' : 'a number';
  const { min, max, above } = rule;
  if (min !== undefined && max !== undefined) return `${what} from ${min} to ${max}`;
  const parts = [
    above !== undefined ? `above ${above}` : min !== undefined ? `of at least ${min}` : undefined,
    max !== undefined ? `at most ${max}` : undefined,
  ].filter((p) => p !== undefined);
  return [what, parts.join(' and ')].filter(Boolean).join(' ');
}

/**
 * The number in option `flag`'s `value`: the default when the option is absent, a UsageError
 * naming the flag, the rule and the value when it is not a number or breaks the rule.
 */
export function numberOption(
  flag: string,
  value: string | undefined,
  rule: NumberRule & ({ default: number } | { required: true }),
): number;
export function numberOption(flag: string, value: string | undefined, rule: NumberRule): number | undefined;
export function numberOption(
  flag: string,
  value: string | undefined,
  rule: NumberRule & { default?: number; required?: boolean },
): number | undefined {
  if (value === undefined) {
    if (rule.required) throw new UsageError(`${flag} is required`);
    return rule.default;
  }
  const n = Number(value);
  const ok =
    value.trim() !== '' &&
    Number.isFinite(n) &&
    (!rule.integer || Number.isInteger(n)) &&
    (rule.min === undefined || n >= rule.min) &&
    (rule.max === undefined || n <= rule.max) &&
    (rule.above === undefined || n > rule.above);
  if (!ok) throw new UsageError(`${flag} must be ${describeRule(rule)}, got ${JSON.stringify(value)}`);
  return n;
}

export interface ChoiceRule<C extends string> {
  readonly choices: readonly C[];
  /** Earlier names: they fail with the name that replaced them instead of being accepted. */
  readonly renamed?: Readonly<Record<string, string>>;
}

/** One of `choices`; a renamed or unknown value is a UsageError that says what to write instead. */
export function choiceOption<C extends string>(flag: string, value: string, rule: ChoiceRule<C>): C {
  return choiceList(flag, value, rule, { single: true })[0];
}

/**
 * A comma-separated subset of `choices`, in the order of `choices`; an old name fails with the
 * new one, an unknown one with the list of choices.
 */
export function choiceList<C extends string>(flag: string, value: string, rule: ChoiceRule<C>, opts: { single?: boolean } = {}): C[] {
  const items = opts.single ? [value.trim()] : value.split(',').map((v) => v.trim());
  const given = items.filter(Boolean);
  const taken = rule.choices.join(opts.single ? ', ' : ',');
  if (given.length === 0) throw new UsageError(`${flag} takes ${opts.single ? 'one of' : 'a comma-separated subset of'} ${taken}`);
  for (const item of given) {
    if ((rule.choices as readonly string[]).includes(item)) continue;
    const renamed = rule.renamed && Object.hasOwn(rule.renamed, item) ? rule.renamed[item] : undefined;
    // Only a rename to what this option takes: an old name of something it never took is just unknown.
    if (renamed !== undefined && renamed.split(',').every((r) => (rule.choices as readonly string[]).includes(r)))
      throw new UsageError(`${flag} ${item} was renamed: use ${flag} ${renamed}`);
    throw new UsageError(`${flag} takes ${opts.single ? 'one of' : 'a comma-separated subset of'} ${taken}, got ${item}`);
  }
  return rule.choices.filter((c) => given.includes(c));
}

/** A file the command reads (a bundle to run): a UsageError naming the flag when `path` is not a file. */
export function inputFileOption(flag: string, path: string, what: string): string {
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    // Missing: said below.
  }
  if (!isFile) throw new UsageError(`${flag} ${path}: no such file; it takes ${what}`);
  return path;
}

/**
 * A file the command writes at its end (a report): a UsageError naming the flag, before the run,
 * when it could not be written: a directory, or a place without a writable directory above it.
 */
export function outputFileOption(flag: string, path: string): string {
  const fail = (why: string) => new UsageError(`${flag} ${path}: ${why}; give a file in a directory you can write to`);
  const stat = (p: string) => {
    try {
      return statSync(p);
    } catch {
      return undefined;
    }
  };
  if (stat(path)?.isDirectory()) throw fail('is a directory');
  // The directory is created at the end when missing: the nearest one that exists must take it.
  let dir = dirname(resolve(path));
  while (!stat(dir) && dirname(dir) !== dir) dir = dirname(dir);
  if (!stat(dir)?.isDirectory()) throw fail(`${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw fail(`${dir} is not writable`);
  }
  return path;
}
