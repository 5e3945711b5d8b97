import { AuthError } from './auth-error';

/** A rooms-claim pattern: room-name characters and `*`, at most 128 of them. */
const PATTERN = /^[A-Za-z0-9_.:*-]{1,128}$/;

/**
 * The rooms claim of a token: a list of at most `max` patterns. Anything else refuses the
 * handshake: a claim the node cannot check must not become a claim that allows everything.
 */
export function parseRoomPatterns(claim: unknown, claimName: string, max: number): string[] {
  if (!Array.isArray(claim) || !claim.every((p) => typeof p === 'string'))
    throw new AuthError(`${claimName} claim is not a list of strings`);
  if (claim.length > max) throw new AuthError(`${claimName} claim has ${claim.length} patterns, more than ${max}`);
  const bad = claim.find((p) => !PATTERN.test(p));
  if (bad !== undefined) throw new AuthError(`${claimName} claim has a pattern that is not 1-128 room-name characters or *`);
  return claim;
}

/**
 * `*` in a pattern matches any run of room-name characters (room names are validated before they
 * get here); everything else is literal. Matching never backtracks: the literal parts between the
 * stars are found once each, left to right (the leftmost match is always the best one for `*`),
 * so a join costs at most (room length × pattern length) character comparisons, whatever the stars.
 */
export function roomMatcher(patterns: readonly string[]): (room: string) => boolean {
  const matchers = patterns.map(compile);
  return (room) => matchers.some((matches) => matches(room));
}

function compile(pattern: string): (room: string) => boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return (room) => room === pattern;
  const head = parts[0];
  const tail = parts[parts.length - 1];
  const middle = parts.slice(1, -1).filter((p) => p.length > 0);
  return (room) => {
    if (room.length < head.length + tail.length || !room.startsWith(head) || !room.endsWith(tail)) return false;
    const end = room.length - tail.length;
    let at = head.length;
    for (const part of middle) {
      const found = room.indexOf(part, at);
      if (found < 0 || found + part.length > end) return false;
      at = found + part.length;
    }
    return true;
  };
}
