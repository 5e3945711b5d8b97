import { z } from 'zod';
import { closestName } from '../../../contract/closest';

/** Problems past this many are counted, not listed: the answer stays one readable line. */
export const MAX_LISTED_PROBLEMS = 3;
/** A string the sender got wrong is quoted back up to this many characters. */
const QUOTED_CHARS = 40;

/** What a value is, for "got …": `"a b"` (quoted, cut), `42`, `true`, `null`, `an array`, `an object`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > QUOTED_CHARS ? `${value.slice(0, QUOTED_CHARS)}…` : value);
  }
  if (Array.isArray(value)) return 'an array';
  if (value === null || typeof value !== 'object') return String(value);
  return 'an object';
}

/** `rooms[1]` for the path ['rooms', 1]; the subject (e.g. "the body") for the value itself. */
function fieldName(subject: string, path: readonly PropertyKey[]): string {
  if (path.length === 0) return subject;
  return path.map((step, i) => (typeof step === 'number' ? `[${step}]` : i === 0 ? String(step) : `.${String(step)}`)).join('');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (v, step) => (typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[step] : undefined),
    input,
  );
}

function unknownField(key: string, fields: readonly string[]): string {
  const suggestion = closestName(key, fields);
  const hint = suggestion ? `did you mean ${suggestion}?` : fields.length > 0 ? `the fields are ${fields.join(', ')}` : 'remove it';
  return `unknown field ${JSON.stringify(key)}: ${hint}`;
}

/** The object's own fields when the schema is an object, for suggesting one in place of an unknown field. */
const fieldsOf = (schema: z.ZodType): string[] => (schema instanceof z.ZodObject ? Object.keys(schema.shape) : []);

/**
 * One line for a value `schema` refused, each problem naming its field and what was expected:
 * `unknown field "room": did you mean rooms?`, `rooms[1] must be 1-64 characters of …, got "a/b"`,
 * `event is missing: it must be a string …`. Unknown fields come first: they often explain the rest
 * (a misspelt `evnt` also leaves `event` missing). The messages themselves are contract/api.ts's.
 */
export function invalidMessage(schema: z.ZodType, error: z.ZodError, input: unknown, subject: string): string {
  const fields = fieldsOf(schema);
  const unknownFirst = [...error.issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
  const problems = unknownFirst.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => unknownField(key, fields));
    const value = valueAt(input, issue.path);
    const got = value === undefined ? '' : `, got ${describeValue(value)}`;
    return [`${fieldName(subject, issue.path)} ${issue.message}${got}`];
  });
  const more = problems.length - MAX_LISTED_PROBLEMS;
  return [...problems.slice(0, MAX_LISTED_PROBLEMS), ...(more > 0 ? [`and ${more} more`] : [])].join('; ');
}
