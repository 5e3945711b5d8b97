/**
 * Seeded generators of hostile Engine.IO / Socket.IO traffic. The same seed yields the same
 * sequence, so a failing run is reproduced with FUZZ_SEED=<seed>.
 */
import { int, pick, type Rng } from '../../tools/rng';

export interface WsPacket {
  readonly kind: string;
  readonly data: string | Buffer;
  /** May make the server close the connection; the driver ends the batch after it. */
  readonly terminal: boolean;
}

const KNOWN_EVENTS = ['room:join', 'room:leave', 'room:members', 'chat:message'] as const;
const ODD_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\uffff',
  '\ud800',
  '💥',
  'é'.repeat(3000),
  '<script>',
  '__proto__',
  'constructor',
  '../../etc',
  '%s%n',
  '\r\n\r\n',
];
const ODD_NUMBERS = [
  '0',
  '-0',
  '1e308',
  '-1e308',
  '1e999',
  '-1e999',
  '9007199254740993',
  '123456789012345678901234567890',
  '0.1e-400',
  '3.14',
];

function randomString(r: Rng, maxLen = 40): string {
  if (r() < 0.3) return pick(r, ODD_STRINGS);
  const len = int(r, 0, maxLen);
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(r() < 0.9 ? int(r, 0x20, 0x7e) : int(r, 0, 0xffff));
  return s;
}

/** JSON text of a random value of any JSON type, including numbers JSON.stringify would not write. */
export function randomJsonText(r: Rng, depth = 0): string {
  const roll = r();
  if (depth > 4 || roll < 0.1) return pick(r, ['null', 'true', 'false']);
  if (roll < 0.25) return r() < 0.5 ? pick(r, ODD_NUMBERS) : String(int(r, -1e6, 1e6));
  if (roll < 0.45) return JSON.stringify(randomString(r));
  if (roll < 0.65) return `[${Array.from({ length: int(r, 0, 4) }, () => randomJsonText(r, depth + 1)).join(',')}]`;
  const keys = ['room', 'text', 'id', '__proto__', 'constructor', randomString(r, 8)];
  const entries = Array.from({ length: int(r, 0, 4) }, () => `${JSON.stringify(pick(r, keys))}:${randomJsonText(r, depth + 1)}`);
  return `{${entries.join(',')}}`;
}

/** A payload shaped like the protocol's, with one field bent. */
function nearValidPayload(r: Rng, event: string, ownRoom: string): string {
  const room = pick(r, [ownRoom, ownRoom, 'x'.repeat(65), 'bad room', '', 'probe', randomString(r, 70)]);
  const text = pick(r, ['hi', '', 'x'.repeat(int(r, 4_000, 5_000)), randomString(r, 200)]);
  if (event === 'chat:message') {
    const shape = int(r, 0, 3);
    if (shape === 0) return JSON.stringify({ room, text });
    if (shape === 1) return `{"room":${JSON.stringify(room)},"text":${randomJsonText(r)}}`;
    if (shape === 2) return `{"room":${randomJsonText(r)},"text":${JSON.stringify(text)}}`;
    return JSON.stringify({ room: ownRoom, text, extra: randomString(r) });
  }
  return r() < 0.7 ? JSON.stringify({ room }) : `{"room":${randomJsonText(r)}}`;
}

const ackId = (r: Rng) => (r() < 0.5 ? '' : r() < 0.9 ? String(int(r, 0, 1e6)) : pick(r, ['99999999999999999999999', '0', '007']));

function eventText(r: Rng, ownRoom: string): string {
  const event = r() < 0.75 ? pick(r, KNOWN_EVENTS) : r() < 0.5 ? `fuzz:${randomString(r, 10)}` : randomString(r, 30);
  const args = [JSON.stringify(event)];
  const n = int(r, 0, 3);
  for (let i = 0; i < n; i++) args.push(r() < 0.5 && i === 0 ? nearValidPayload(r, event, ownRoom) : randomJsonText(r));
  return `[${args.join(',')}]`;
}

/**
 * One raw WebSocket frame. `ownRoom` is the room the fuzzing connection joins, so that some
 * chat messages are accepted and broadcast; `maxFrameBytes` is the server's
 * MAX_HTTP_BUFFER_BYTES, to build frames past it.
 */
export function wsPacket(r: Rng, ownRoom: string, maxFrameBytes: number): WsPacket {
  // Mostly packets a connection survives, so that each one carries many before one ends it.
  return r() < TERMINAL_SHARE ? terminalPacket(r, ownRoom, maxFrameBytes) : survivablePacket(r, ownRoom, maxFrameBytes);
}

const TERMINAL_SHARE = 0.04;

function survivablePacket(r: Rng, ownRoom: string, maxFrameBytes: number): WsPacket {
  const roll = r();
  if (roll < 0.6) return { kind: 'event', data: `42${ackId(r)}${eventText(r, ownRoom)}`, terminal: false };
  if (roll < 0.68)
    return { kind: 'join-own-room', data: `42${ackId(r)}["room:join",${JSON.stringify({ room: ownRoom })}]`, terminal: false };
  if (roll < 0.72)
    return {
      kind: 'chat-own-room',
      data: `42${ackId(r)}["chat:message",${JSON.stringify({ room: ownRoom, text: randomString(r, 100) || 'x' })}]`,
      terminal: false,
    };
  if (roll < 0.8) {
    const nsp = pick(r, ['/admin', '/nope', '/', '/' + randomString(r, 10).replace(/[,]/g, '')]);
    const body = pick(r, [`42${nsp},${eventText(r, ownRoom)}`, `40${nsp},`, `40${nsp},${randomJsonText(r)}`, `43${nsp},1[]`]);
    // Only an event to the connected namespace is survivable: the server closes on the rest (docs/protocol.md).
    return { kind: 'namespace', data: body, terminal: !(nsp === '/' && body.startsWith('42')) };
  }
  // The server never asks the client for an ack, so any ACK is for an unknown id and closes the connection.
  if (roll < 0.86) return { kind: 'ack-unsolicited', data: `43${int(r, 0, 1e9)}${randomJsonText(r)}`, terminal: true };
  if (roll < 0.9) return { kind: 'engine-pong-noop', data: pick(r, ['3', '6', '3probe', '2']), terminal: false };
  if (roll < 0.95)
    return {
      kind: 'unicode-event',
      data: `42["chat:message",{"room":${JSON.stringify(ownRoom)},"text":"\\ud83d\\ude00 \\u0000 ${'é'.repeat(int(r, 1, 50))}"}]`,
      terminal: false,
    };
  if (roll < 0.98) {
    // Nesting deep enough to break a recursive parser, small enough to fit in a frame.
    const depth = int(r, 100, Math.min(20_000, Math.floor(maxFrameBytes / 2) - 100));
    return { kind: 'deep-nesting', data: `42["${pick(r, KNOWN_EVENTS)}",${'['.repeat(depth)}${']'.repeat(depth)}]`, terminal: false };
  }
  return { kind: 'deep-nesting-objects', data: `42["room:join",${'{"a":'.repeat(2_000)}1${'}'.repeat(2_000)}]`, terminal: false };
}

/** Packets after which the server may close the connection; the driver ends the batch with one. */
function terminalPacket(r: Rng, ownRoom: string, maxFrameBytes: number): WsPacket {
  const roll = r();
  if (roll < 0.2) {
    const full = `42${ackId(r)}${eventText(r, ownRoom)}`;
    return { kind: 'truncated-json', data: full.slice(0, int(r, 2, Math.max(2, full.length - 1))), terminal: true };
  }
  if (roll < 0.3)
    return { kind: 'bad-socketio-type', data: `4${pick(r, ['7', '8', '9', 'x', '', '-', ' '])}${randomJsonText(r)}`, terminal: true };
  if (roll < 0.4)
    return {
      kind: 'bad-engineio-type',
      data: pick(r, ['', '7', '8', '9', 'x', '1', '5', '0', '{}']) + randomString(r, 20),
      terminal: true,
    };
  if (roll < 0.5) {
    const count = pick(r, ['1', '2', '0', '-1', '99', 'x']);
    return {
      kind: 'missing-attachment',
      data: `45${count}-["chat:message",{"_placeholder":true,"num":${pick(r, ['0', '1', '-1', '"0"', '1e9'])}}]`,
      terminal: true,
    };
  }
  if (roll < 0.58) {
    const bytes = Buffer.alloc(int(r, 0, 64));
    for (let i = 0; i < bytes.length; i++) bytes[i] = int(r, 0, 255);
    return { kind: 'binary-frame', data: bytes, terminal: true };
  }
  if (roll < 0.65)
    return {
      kind: 'oversized-frame',
      data: `42["chat:message",{"text":"${'x'.repeat(maxFrameBytes + int(r, 1, 1_000))}"}]`,
      terminal: true,
    };
  if (roll < 0.75)
    return {
      kind: 'huge-numbers',
      data: `42${pick(r, ['99999999999999999999999', '1e999', '-1', '1.5'])}["room:members",{"room":${pick(r, ODD_NUMBERS)}}]`,
      terminal: true,
    };
  if (roll < 0.82) return { kind: 'bad-connect-payload', data: `40${randomJsonText(r)}`, terminal: true };
  if (roll < 0.9) return { kind: 'disconnect', data: pick(r, ['41', '41/', '1']), terminal: true };
  return { kind: 'random-text', data: randomString(r, 200), terminal: true };
}

export interface HttpProbe {
  readonly kind: string;
  readonly method: 'GET' | 'POST';
  /** Query string after `/socket.io/?`; `{sid}` is replaced by a live session id. */
  readonly query: string;
  readonly body?: string | Buffer;
  readonly contentType?: string;
  /** Needs a fresh polling handshake for `{sid}`. */
  readonly needsSid: boolean;
}

/** One malformed HTTP long-polling request. */
export function httpProbe(r: Rng, maxBodyBytes: number): HttpProbe {
  const roll = r();
  const base = 'EIO=4&transport=polling';
  if (roll < 0.15) {
    const query = pick(r, [
      'EIO=3&transport=polling',
      'EIO=abc&transport=polling',
      'EIO=4&transport=bogus',
      'EIO=4',
      '',
      `${base}&sid=nope`,
      `${base}&sid=${'a'.repeat(5000)}`,
      `${base}&sid[]=x`,
    ]);
    return { kind: 'bad-query', method: pick(r, ['GET', 'POST'] as const), query, body: 'x', needsSid: false };
  }
  if (roll < 0.5) {
    const frames = Array.from({ length: int(r, 1, 5) }, () =>
      pick(r, [`4${eventText(r, 'fuzz')}`, randomString(r, 50), '40', `42${randomJsonText(r)}`, 'b' + randomString(r, 10), '']),
    );
    return { kind: 'garbage-batch', method: 'POST', query: `${base}&sid={sid}`, body: frames.join('\x1e'), needsSid: true };
  }
  if (roll < 0.65) {
    const bytes = Buffer.alloc(int(r, 1, 256));
    for (let i = 0; i < bytes.length; i++) bytes[i] = int(r, 0, 255);
    return {
      kind: 'binary-body',
      method: 'POST',
      query: `${base}&sid={sid}`,
      body: bytes,
      contentType: 'application/octet-stream',
      needsSid: true,
    };
  }
  if (roll < 0.75)
    return {
      kind: 'oversized-body',
      method: 'POST',
      query: `${base}&sid={sid}`,
      body: `42["chat:message",{"text":"${'y'.repeat(maxBodyBytes + 10)}"}]`,
      needsSid: true,
    };
  if (roll < 0.85)
    return {
      kind: 'valid-event-body',
      method: 'POST',
      query: `${base}&sid={sid}`,
      body: `40\x1e42${eventText(r, 'fuzz')}`,
      needsSid: true,
    };
  return {
    kind: 'odd-content-type',
    method: 'POST',
    query: `${base}&sid={sid}`,
    body: randomJsonText(r),
    contentType: pick(r, ['text/html', 'multipart/form-data; boundary=x', 'application/json', '']),
    needsSid: true,
  };
}
