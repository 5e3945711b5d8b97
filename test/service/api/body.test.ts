import { describe, expect, it } from 'vitest';
import { depthExceeds, MAX_JSON_DEPTH, parseJsonObject } from '../../../service/src/api/body';

describe('parseJsonObject', () => {
  it('takes an object nested up to the limit and refuses one deeper', () => {
    const nested = (n: number) => `{"a":${'['.repeat(n - 1)}${']'.repeat(n - 1)}}`;
    expect(parseJsonObject(Buffer.from(nested(MAX_JSON_DEPTH)))).toBeTypeOf('object');
    expect(() => parseJsonObject(Buffer.from(nested(MAX_JSON_DEPTH + 1)))).toThrow(/nested deeper than 32/);
  });

  it('checks depth without recursion, so a hostile depth cannot overflow the stack', () => {
    let deep: unknown = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(depthExceeds(deep, MAX_JSON_DEPTH)).toBe(true);
  });
});
