import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { boolValue, intOneOf, intValue, issueMessages, listValue, oneOf, textValue } from '../../infra/config-values';

/** The message resolveConfig would show for `raw` under key `k`, or the parsed value. */
function parse(schema: z.ZodType, raw: unknown): unknown {
  const result = z.object({ k: schema }).safeParse({ k: raw }, { reportInput: true });
  return result.success ? result.data.k : issueMessages(result.error).join('; ');
}

describe('context values: CLI strings and cdk.json values', () => {
  it('integers from numbers or digit strings, within the range', () => {
    const int = intValue({ min: 1, max: 6 });
    expect(parse(int, '3')).toBe(3);
    expect(parse(int, ' 4 ')).toBe(4);
    expect(parse(int, 5)).toBe(5);
    expect(parse(int, 'two')).toBe('k must be an integer, got "two"');
    expect(parse(int, 2.5)).toBe('k must be an integer, got 2.5');
    expect(parse(int, true)).toBe('k must be an integer, got true');
    expect(parse(int, '3e2')).toBe('k must be an integer, got "3e2"');
    expect(parse(int, '7')).toBe('k must be from 1 to 6, got 7');
    expect(parse(intValue(), '-12')).toBe(-12);
  });

  it('integers out of a list', () => {
    expect(parse(intOneOf([1, 7, 30]), '7')).toBe(7);
    expect(parse(intOneOf([1, 7, 30]), '10')).toBe('k must be one of 1, 7, 30, got 10');
  });

  it('booleans from true/false/1/0 or real booleans', () => {
    for (const [raw, value] of [
      ['true', true],
      ['1', true],
      [true, true],
      ['false', false],
      ['0', false],
      [false, false],
    ] as const) {
      expect(parse(boolValue(), raw)).toBe(value);
    }
    expect(parse(boolValue(), 'yes')).toBe('k must be true or false, got "yes"');
    expect(parse(boolValue(), 1)).toBe('k must be true or false, got 1');
  });

  it('one of a list, spelled exactly', () => {
    expect(parse(oneOf(['valkey', 'redis']), 'redis')).toBe('redis');
    expect(parse(oneOf(['valkey', 'redis']), 'Redis')).toBe('k must be one of valkey, redis, got "Redis"');
  });

  it('strings: trimmed, not empty, of the format', () => {
    const format = { pattern: /^vpc-[0-9a-f]+$/, text: 'a VPC id' };
    expect(parse(textValue(format), ' vpc-0a ')).toBe('vpc-0a');
    expect(parse(textValue(format), 'subnet-1')).toBe('k must be a VPC id, got "subnet-1"');
    expect(parse(textValue(), '   ')).toBe('k must be a non-empty string, got ""');
    expect(parse(textValue(), 12)).toBe('k must be a non-empty string, got 12');
  });

  it('lists: comma-separated strings or arrays, blanks dropped, each of the format', () => {
    const emails = listValue({ pattern: /^[^@\s,]+@[^@\s,]+$/, text: 'email addresses' });
    expect(parse(emails, 'a@b, c@d,,')).toEqual(['a@b', 'c@d']);
    expect(parse(emails, ['a@b'])).toEqual(['a@b']);
    expect(parse(emails, 'a@b,ops')).toBe('k must be comma-separated email addresses, got "ops"');
    expect(parse(emails, 3)).toBe('k must be a comma-separated list, got 3');
  });
});
