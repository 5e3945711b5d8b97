import { describe, expect, it } from 'vitest';
import { depthExceeds, MAX_JSON_DEPTH, parseJsonObject } from '../../../service/src/api/body';

describe('parseJsonObject', () => {
  it('takes an object nested up to the limit and refuses one deeper', () => {
    const nested = (n: number) => `{"a":${'['.repeat(n - 1)}${']'.repeat(n - 1)}}`;
    expect(parseJsonObject(Buffer.from(nested(MAX_JSON_DEPTH)))).toBeTypeOf('object');
    expect(() => parseJsonObject(Buffer.from(nested(MAX_JSON_DEPTH + 1)))).toThrow(
      'a is nested too deep: the body may nest 32 levels, counting itself',
    );
  });

  it.each([
    ['', /^the body is empty: send a JSON object such as \{"event":"order:paid","rooms":\["shop-7"\]\}$/],
    ['{"event":', /^the body is not valid JSON \(.+\): send a JSON object such as \{"event"/],
    ['[{"event":"x"}]', /^the body must be a JSON object such as .*, got an array$/],
    ['"x"', /^the body must be a JSON object such as .*, got "x"$/],
    ['7', /^the body must be a JSON object such as .*, got 7$/],
  ])('refuses %j saying what a body must be and what it got', (raw, message) => {
    expect(() => parseJsonObject(Buffer.from(raw))).toThrow(message);
  });

  it('checks depth without recursion, so a hostile depth cannot overflow the stack', () => {
    let deep: unknown = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(depthExceeds(deep, MAX_JSON_DEPTH)).toBe(true);
  });
});
