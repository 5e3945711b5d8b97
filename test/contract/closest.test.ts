import { describe, expect, it } from 'vitest';
import { closestName } from '../../contract/closest';

describe('closestName', () => {
  const names = ['event', 'data', 'rooms', 'users', 'except', 'idempotencyKey'] as const;

  it('finds the name in another case, or one or two edits away by its length', () => {
    expect(closestName('EVENT', names)).toBe('event');
    expect(closestName('room', names)).toBe('rooms');
    expect(closestName('evnt', names)).toBe('event');
    expect(closestName('idempotencykee', names)).toBe('idempotencyKey');
    expect(closestName('idempotencyKy_', names)).toBe('idempotencyKey');
  });

  it('suggests nothing for a name too far from every one', () => {
    expect(closestName('to', names)).toBeUndefined();
    expect(closestName('target', names)).toBeUndefined();
    // Two edits are too many for a name of 5 characters: "rims" is not taken for "rooms".
    expect(closestName('rims', names)).toBeUndefined();
  });
});
