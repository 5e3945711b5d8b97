import { Decoder, type Packet } from 'socket.io-parser';
import { describe, expect, it } from 'vitest';
import { packetHeader } from '../../../service/src/admission/packet-header';

/** What Socket.IO's own parser makes of `text`: the packet, or undefined when it refuses it or waits for attachments. */
function decoded(text: string): Packet | undefined {
  const decoder = new Decoder();
  let packet: Packet | undefined;
  decoder.on('decoded', (p: Packet) => (packet = p));
  try {
    decoder.add(text);
  } catch {
    return undefined;
  }
  return packet;
}

describe('packetHeader reads type, namespace, ack id and attachments as socket.io-parser does', () => {
  it.each<[string, { type: number; nsp: string; id?: number; attachments?: number } | undefined]>([
    ['0', { type: 0, nsp: '/' }],
    ['0{"token":"t"}', { type: 0, nsp: '/' }],
    ['0/admin,', { type: 0, nsp: '/admin' }],
    ['0/admin,{"token":"t"}', { type: 0, nsp: '/admin' }],
    ['0/nope', { type: 0, nsp: '/nope' }],
    ['312["x"]', { type: 3, nsp: '/', id: 12 }],
    ['3/admin,7[]', { type: 3, nsp: '/admin', id: 7 }],
    ['3["no id"]', { type: 3, nsp: '/' }],
    ['61-/admin,5[{"_placeholder":true,"num":0}]', { type: 6, nsp: '/admin', id: 5, attachments: 1 }],
    ['510-["x",{"_placeholder":true,"num":0}]', { type: 5, nsp: '/', attachments: 10 }],
    ['60-5[]', undefined],
    ['2["chat:message",{}]', { type: 2, nsp: '/', id: undefined }],
    ['299["e"]', { type: 2, nsp: '/', id: 99 }],
    // Socket.IO reads a leading space as type 0: a CONNECT, which the guard must see as one.
    [' {"token":"t"}', { type: 0, nsp: '/' }],
    ['', { type: 0, nsp: '/' }],
  ])('%s', (text, expected) => {
    const { id, attachments = 0, ...rest } = expected ?? {};
    const want = expected && { ...rest, ...(id === undefined ? {} : { id }), attachments };
    expect(packetHeader(text)).toEqual(want);
  });

  it('returns nothing for what is not a packet type', () => {
    for (const text of ['7', 'x', '-1', '9{}']) expect(packetHeader(text)).toBeUndefined();
  });

  it('agrees with socket.io-parser on every packet it decodes, over generated inputs', () => {
    const parts = [
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '1-',
      '0-',
      '/',
      '/a',
      ',',
      '12',
      '007',
      '["e"]',
      '{}',
      '[]',
      'x',
      ' ',
      '\t',
      '"',
      '-',
    ];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let compared = 0;
    for (let i = 0; i < 20_000; i++) {
      const n = 1 + Math.floor(next() * 5);
      const text = Array.from({ length: n }, () => parts[Math.floor(next() * parts.length)]).join('');
      const theirs = decoded(text);
      if (!theirs) continue;
      compared++;
      const ours = packetHeader(text);
      expect({ text, type: ours?.type, nsp: ours?.nsp, id: ours?.id }).toEqual({ text, type: theirs.type, nsp: theirs.nsp, id: theirs.id });
    }
    expect(compared).toBeGreaterThan(1_000);
  });
});
