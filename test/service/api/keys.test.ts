import { describe, expect, it } from 'vitest';
import { ApiKeys, unauthorizedMessage } from '../../../service/src/api/keys';
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

  it('says why a request was refused, naming the header, never the key', () => {
    expect(unauthorizedMessage(undefined)).toBe(
      'the Authorization header is missing: send Authorization: Bearer <key> with a key from API_KEYS',
    );
    expect(unauthorizedMessage(`Basic ${KEY_A}`)).toMatch(/^the Authorization header must be "Bearer <key>"/);
    expect(unauthorizedMessage(`Bearer ${KEY_B}x`)).toMatch(/^the key in the Authorization header is not one of API_KEYS/);
    expect(unauthorizedMessage(`Bearer ${KEY_B}x`)).not.toContain(KEY_B);
  });
});
