/** Socket.IO packet types (socket.io-protocol v5). */
export const PACKET = { connect: 0, disconnect: 1, event: 2, ack: 3, connectError: 4, binaryEvent: 5, binaryAck: 6 } as const;

export interface PacketHeader {
  readonly type: number;
  readonly nsp: string;
  /** The ack id, when the packet carries one. */
  readonly id?: number;
  /** The attachments a binary event or ack announces (1 or more); 0 for the other types. */
  readonly attachments: number;
}

/**
 * The start of a Socket.IO packet, `<type>[<attachments>-][<nsp>,][<id>]<json>`, read before the
 * parser decodes the JSON, so that the guard can refuse a packet without paying for it. It follows
 * socket.io-parser's own decodeString step by step, quirks included (`Number(' ')` is 0, so a
 * leading space reads as a CONNECT there, and here too): what the guard sees is what Socket.IO
 * will act on (the loose `!=` comparisons are the parser's). Undefined where the parser refuses the packet itself.
 */
export function packetHeader(str: string): PacketHeader | undefined {
  let i = 0;
  let attachments = 0;
  const type = Number(str.charAt(0));
  if (!(type >= PACKET.connect && type <= PACKET.binaryAck && Number.isInteger(type))) return undefined;
  if (type === PACKET.binaryEvent || type === PACKET.binaryAck) {
    const start = i + 1;
    while (str.charAt(++i) !== '-' && i != str.length) {
      // Skips the attachment count.
    }
    const buf = str.substring(start, i);
    if ((buf as unknown as number) != Number(buf) || str.charAt(i) !== '-' || !(Number(buf) >= 1)) return undefined;
    attachments = Number(buf);
  }
  let nsp = '/';
  if (str.charAt(i + 1) === '/') {
    const start = i + 1;
    while (++i) {
      if (str.charAt(i) === ',' || i === str.length) break;
    }
    nsp = str.substring(start, i);
  }
  const next = str.charAt(i + 1);
  if (next === '' || Number(next) != (next as unknown as number)) return { type, nsp, attachments };
  const start = i + 1;
  while (++i) {
    const c = str.charAt(i);
    if (Number(c) != (c as unknown as number)) {
      --i;
      break;
    }
    if (i === str.length) break;
  }
  return { type, nsp, id: Number(str.substring(start, i + 1)), attachments };
}
