import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { CloseReason } from '../../../contract/events';
import { type EngineConn, PreAuthSessions } from '../../../service/src/admission/pre-auth';

const conn = (name: string): EngineConn & { name: string } => ({
  name,
  readyState: 'open',
  request: {} as IncomingMessage,
  transport: { name: 'websocket' },
  close: () => undefined,
  on: () => undefined,
  once: () => undefined,
});

function table(maxSessions: number, maxSessionsPerIp: number) {
  const closed: Array<[string, CloseReason]> = [];
  const sessions = new PreAuthSessions({ maxSessions, maxSessionsPerIp, timeoutMs: 60_000, maxMessageBytes: 8_192 }, (c, reason) =>
    closed.push([(c as ReturnType<typeof conn>).name, reason]),
  );
  return { sessions, closed };
}

describe('PreAuthSessions', () => {
  it('caps sessions per IP, and frees the place when one authenticates or closes', () => {
    const { sessions } = table(10, 2);
    const [a, b] = [conn('a'), conn('b')];
    sessions.opened(a, '1.1.1.1');
    sessions.opened(b, '1.1.1.1');
    expect(sessions.admit('1.1.1.1')).toBe('preauth_ip_limit');
    expect(sessions.admit('2.2.2.2')).toBe('ok');
    sessions.remove(a);
    expect(sessions.admit('1.1.1.1')).toBe('ok');
    expect(sessions.size).toBe(1);
  });

  it('when full, evicts the oldest waiting session of the IP that holds the most, never one verifying its CONNECT', () => {
    const { sessions, closed } = table(4, 4);
    const honest = conn('honest');
    const flood = [conn('f1'), conn('f2'), conn('f3')];
    sessions.opened(honest, '9.9.9.9');
    for (const f of flood) sessions.opened(f, '6.6.6.6');
    expect(sessions.admit('8.8.8.8')).toBe('ok');
    expect(closed).toEqual([['f1', 'preauth_evicted']]);
    expect(sessions.size).toBe(3);
    // Sessions whose CONNECT arrived are not evicted; with none left waiting, the handshake is refused.
    sessions.opened(conn('late'), '6.6.6.6');
    for (const c of [honest, ...flood.slice(1)]) sessions.connecting(c);
    sessions.connecting(conn('unknown'));
    expect(sessions.admit('8.8.8.8')).toBe('ok');
    expect(closed.at(-1)).toEqual(['late', 'preauth_evicted']);
    sessions.opened(conn('x'), '7.7.7.7');
    sessions.connecting({ ...conn('x') });
    expect(closed).toHaveLength(2);
  });

  it('refuses when every session is verifying its CONNECT', () => {
    const { sessions, closed } = table(2, 2);
    const [a, b] = [conn('a'), conn('b')];
    sessions.opened(a, '1.1.1.1');
    sessions.opened(b, '2.2.2.2');
    sessions.connecting(a);
    sessions.connecting(b);
    expect(sessions.admit('3.3.3.3')).toBe('preauth_full');
    expect(closed).toEqual([]);
  });
});
