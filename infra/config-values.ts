/**
 * Zod types for the deployment config's values as they arrive: `-c key=value` gives strings,
 * cdk.json real numbers, booleans and arrays. Each type's message completes "<key> …, got <value>",
 * and its range or format is the one the construct that owns the value checks (infra/validation.ts).
 */
import { z } from 'zod';
import { Format, Range } from './validation';

const INTEGER = 'must be an integer';
const rangeText = (range: Range) => `must be from ${range.min} to ${range.max}`;

function digitsToNumber(raw: unknown): unknown {
  return typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : raw;
}

/** An integer, optionally within `range`: a number, or a string of digits. */
export function intValue(range?: Range) {
  const int = z.number({ error: INTEGER }).int({ error: INTEGER });
  const ranged = range ? int.min(range.min, { error: rangeText(range) }).max(range.max, { error: rangeText(range) }) : int;
  return z.preprocess(digitsToNumber, ranged);
}

/** An integer out of a fixed list (CloudWatch's retention periods, say). */
export function intOneOf(values: readonly number[]) {
  const error = `must be one of ${values.join(', ')}`;
  return z.preprocess(
    digitsToNumber,
    z
      .number({ error: INTEGER })
      .int({ error: INTEGER })
      .refine((v) => values.includes(v), { error }),
  );
}

/** A boolean: true or false, or the strings true, false, 1 and 0. */
export function boolValue() {
  const strings: Readonly<Record<string, boolean>> = { true: true, '1': true, false: false, '0': false };
  return z.preprocess(
    (raw) => (typeof raw === 'string' && raw in strings ? strings[raw] : raw),
    z.boolean({ error: 'must be true or false' }),
  );
}

/** One of `values`, spelled exactly. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.join(', ')}` });
}

/** A non-empty string, trimmed, optionally of `format`. */
export function textValue(format?: Format) {
  const text = z.string({ error: 'must be a non-empty string' }).trim().min(1, { error: 'must be a non-empty string' });
  return format ? text.regex(format.pattern, { error: `must be ${format.text}` }) : text;
}

/** A comma-separated list (or a cdk.json array) of strings of `format`; blanks are dropped. */
export function listValue(format: Format) {
  const split = (raw: unknown) =>
    typeof raw === 'string'
      ? raw
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '')
      : raw;
  const item = z
    .string({ error: 'must be a comma-separated list of strings' })
    .trim()
    .regex(format.pattern, { error: `must be comma-separated ${format.text}` });
  return z.preprocess(split, z.array(item, { error: 'must be a comma-separated list' }));
}

/** "<key> <message>, got <value>" for each issue, the key being the first step of its path. */
export function issueMessages(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const key = issue.path.length > 0 ? String(issue.path[0]) : 'config';
    return `${key} ${issue.message}, got ${JSON.stringify(issue.input)}`;
  });
}
