import type { Socket } from 'socket.io';
import { describe, expect, it } from 'vitest';
import { limitShares, type ShareLimits } from '../../../service/src/admission/connection-limits';
import { ConnectionShares } from '../../../service/src/admission/connection-shares';

/** A socket of `conn` held by `user`, as the middleware sees it. */
const socketOf = (conn: object, user: string) => ({ conn, user }) as unknown as Socket;

const limits = (over: Partial<ShareLimits['share']> & { cap?: number; maxConnections?: number } = {}): ShareLimits => ({
  holderOf: (socket) => (socket as unknown as { user: string }).user,
  cap: over.cap ?? 3,
  capCode: 'user_limit',
  maxConnections: over.maxConnections ?? 100,
  share: { perUser: over.cap ?? 3, perGuestIp: 10, reserved: over.reserved ?? 0, reservedBelow: over.reservedBelow ?? 1 },
});

/** Runs the middleware: undefined when admitted, else the connect_error code. */
function run(middleware: ReturnType<typeof limitShares>, socket: Socket): string | undefined {
  let outcome: string | undefined = 'not answered';
  middleware(socket, (err) => (outcome = err?.message));
  return outcome;
}

describe('ConnectionShares', () => {
  it('counts a connection once per holder, however many namespaces its sockets are in', () => {
    const shares = new ConnectionShares();
    const [c1, c2] = [{}, {}];
    const [a, b, c] = [socketOf(c1, 'ann'), socketOf(c1, 'ann'), socketOf(c2, 'ann')];
    for (const s of [a, b, c]) shares.admit(s, 'ann');
    expect([shares.holding('ann'), shares.size]).toEqual([2, 2]);
    shares.leave(a);
    expect([shares.holding('ann'), shares.size]).toEqual([2, 2]);
    shares.leave(b);
    shares.leave(b);
    expect([shares.holding('ann'), shares.size]).toEqual([1, 1]);
  });

  it('releases at the close of its connection a socket that was admitted but never connected (so never disconnects)', () => {
    const shares = new ConnectionShares();
    const conn = {};
    const [ann, bob] = [socketOf(conn, 'ann'), socketOf(conn, 'bob')];
    shares.admit(ann, 'ann');
    shares.admit(bob, 'bob');
    shares.leave(ann);
    shares.closed(conn);
    shares.closed(conn);
    expect([shares.holding('ann'), shares.holding('bob'), shares.size]).toEqual([0, 0, 0]);
  });
});

describe('limitShares', () => {
  it('counts a socket as it is admitted: CONNECTs verified together cannot pass the cap before any of them connects', () => {
    const middleware = limitShares(new ConnectionShares(), limits({ cap: 3 }));
    const outcomes = Array.from({ length: 5 }, () => run(middleware, socketOf({}, 'ann')));
    expect(outcomes).toEqual([undefined, undefined, undefined, 'user_limit', 'user_limit']);
  });

  it('lets a connection the holder already has open another namespace past the cap', () => {
    const middleware = limitShares(new ConnectionShares(), limits({ cap: 1 }));
    const conn = {};
    expect(run(middleware, socketOf(conn, 'ann'))).toBeUndefined();
    expect(run(middleware, socketOf(conn, 'ann'))).toBeUndefined();
    expect(run(middleware, socketOf({}, 'ann'))).toBe('user_limit');
  });

  it('keeps the last reserved slots for holders with fewer than reservedBelow connections', () => {
    const shares = new ConnectionShares();
    const middleware = limitShares(shares, limits({ cap: 100, maxConnections: 10, reserved: 3, reservedBelow: 2 }));
    const big = Array.from({ length: 10 }, () => run(middleware, socketOf({}, 'mallory')));
    // Seven outside the reserve; in it, mallory (holding 7) gets none.
    expect(big.filter((o) => o === undefined)).toHaveLength(7);
    expect(big.slice(7)).toEqual(Array(3).fill('server_full'));
    // Others get them, each while holding fewer than 2: ann twice, bob once, then the node is full for everyone.
    expect(['ann', 'ann', 'ann', 'bob', 'carl'].map((u) => run(middleware, socketOf({}, u)))).toEqual([
      undefined,
      undefined,
      'server_full',
      undefined,
      'server_full',
    ]);
    expect(shares.size).toBe(10);
  });
});
