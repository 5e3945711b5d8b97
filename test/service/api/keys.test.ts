import { describe, expect, it } from 'vitest';
import { ApiKeys } from '../../../service/src/api/keys';
import { KEY_A, KEY_B } from './helpers';

describe('ApiKeys', () => {
  const keys = new ApiKeys([KEY_A, KEY_B]);

  it('names the key that matched, whichever it is', () => {
    expect(keys.match(`Bearer ${KEY_A}`)).toBe(0);
    expect(keys.match(`bearer ${KEY_B}`)).toBe(1);
  });

  it.each([
    ['nothing', undefined],
    ['an empty header', ''],
    ['the key alone', KEY_A],
    ['another scheme', `Basic ${KEY_A}`],
    ['a prefix of a key', `Bearer ${KEY_A.slice(0, -1)}`],
    ['a key with more after it', `Bearer ${KEY_A}x`],
    ['two keys', `Bearer ${KEY_A} ${KEY_B}`],
    ['a key of another case', `Bearer ${KEY_A.toUpperCase()}`],
  ])('refuses %s', (_name, header) => {
    expect(keys.match(header)).toBe(-1);
  });

  it('is off without keys', () => {
    expect(new ApiKeys([]).enabled).toBe(false);
    expect(new ApiKeys([]).match(`Bearer ${KEY_A}`)).toBe(-1);
  });
});
