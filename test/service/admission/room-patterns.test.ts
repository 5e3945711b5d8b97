import { describe, expect, it } from 'vitest';
import { AuthError } from '../../../service/src/admission/auth-error';
import { parseRoomPatterns, roomMatcher } from '../../../service/src/admission/room-patterns';

/** The old matcher, a regular expression per pattern: the reference for what a pattern means. */
const reference = (patterns: string[]) => {
  const escape = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const res = patterns.map((p) => new RegExp(`^${p.split('*').map(escape).join('[A-Za-z0-9_.:-]*')}$`));
  return (room: string) => res.some((r) => r.test(room));
};

describe('roomMatcher', () => {
  it.each([
    ['team-*', 'team-blue', true],
    ['team-*', 'team-', true],
    ['team-*', 'xteam-blue', false],
    ['*', 'anything', true],
    ['**', 'x', true],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['x-*-y-*-z', 'x--y-q-z', true],
    ['x-*-y-*-z', 'x-y-z', false],
    ['*ab*ab', 'abab', true],
    ['*ab*ab', 'abxab', true],
    ['*ab*ab', 'aab', false],
    ['lobby', 'lobby', true],
    ['lobby', 'lobby2', false],
  ])('%s matches %s: %s', (pattern, room, expected) => {
    expect(roomMatcher([pattern])(room)).toBe(expected);
  });

  it('means what the regular expression meant, on every pattern and room over a small alphabet', () => {
    const words = (alphabet: string, maxLength: number): string[] => {
      let level = [''];
      const all = [''];
      for (let n = 0; n < maxLength; n++) {
        level = level.flatMap((w) => [...alphabet].map((c) => w + c));
        all.push(...level);
      }
      return all;
    };
    const patterns = words('a*b', 4).filter((p) => p.length > 0);
    const rooms = words('ab', 5).filter((r) => r.length > 0);
    for (const p of patterns) {
      const ours = roomMatcher([p]);
      const theirs = reference([p]);
      for (const r of rooms) if (ours(r) !== theirs(r)) throw new Error(`${p} on ${r}: ${ours(r)} instead of ${theirs(r)}`);
    }
  });
});

describe('parseRoomPatterns', () => {
  it('accepts up to the cap of room-name patterns', () => {
    expect(parseRoomPatterns(['a', 'team-*'], 'rooms', 2)).toEqual(['a', 'team-*']);
  });

  it.each([
    ['a string', 'team-*', /not a list of strings/],
    ['a list with a number', ['a', 1], /not a list of strings/],
    ['too many patterns', ['a', 'b', 'c'], /3 patterns, more than 2/],
    ['a space', ['team blue'], /not 1-128 room-name characters/],
    ['an empty pattern', [''], /not 1-128 room-name characters/],
    ['129 characters', ['x'.repeat(129)], /not 1-128 room-name characters/],
  ])('refuses %s', (_name, claim, message) => {
    expect(() => parseRoomPatterns(claim, 'rooms', 2)).toThrow(AuthError);
    expect(() => parseRoomPatterns(claim, 'rooms', 2)).toThrow(message);
  });
});
