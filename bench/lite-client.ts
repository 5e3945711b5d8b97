import WebSocket from 'ws';
import { settleOnce } from '../tools/processes';

/**
 * `sio`: just enough of Engine.IO v4 / Socket.IO v5 over a WebSocket to join a room, send
 * chat messages with an ack and read deliveries without parsing them in full. `raw`: the
 * raw-ws server's protocol (the room in the URL, each frame is the text).
 * A full socket.io-client costs about as much CPU per delivery as the server does; on a
 * 2-core machine that would make the load generator the thing being measured.
 */
export type Protocol = 'sio' | 'raw';

export interface LiteClientOptions {
  /** http://host:port of the server. */
  readonly url: string;
  readonly protocol: Protocol;
  readonly room?: string;
  readonly timeoutMs?: number;
  /** Each chat delivery, as the raw frame text. */
  readonly onChat?: (frame: string) => void;
  readonly onAck?: () => void;
  /** A chat message the server answered with `overloaded`: shed, not lost. */
  readonly onShed?: () => void;
  /** A close this side did not ask for. */
  readonly onLost?: () => void;
}

export class LiteClient {
  private nextAck = 1;
  private closing = false;

  private constructor(
    private readonly ws: WebSocket,
    private readonly protocol: Protocol,
    readonly room: string | undefined,
  ) {}

  static open(opts: LiteClientOptions): Promise<LiteClient> {
    const base = opts.url.replace(/^http/, 'ws');
    const target =
      opts.protocol === 'sio'
        ? `${base}/socket.io/?EIO=4&transport=websocket`
        : `${base}/${opts.room ? `?room=${encodeURIComponent(opts.room)}` : ''}`;
    const ws = new WebSocket(target);
    const client = new LiteClient(ws, opts.protocol, opts.room);
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const { promise, settle, isSettled } = settleOnce(
      client,
      timeoutMs,
      () => new Error(`handshake with ${opts.url} timed out`),
      () => ws.terminate(),
    );
    ws.on('error', (err) => settle(err));
    ws.on('close', () => {
      settle(new Error(`${opts.url} closed the connection during the handshake`));
      if (!client.closing) opts.onLost?.();
    });
    if (opts.protocol === 'raw') {
      ws.on('open', () => settle());
      ws.on('message', (data) => opts.onChat?.(data.toString()));
      return promise;
    }
    // sio: open → connect → session → (join → ack) → ready.
    let joinAck = -1;
    ws.on('message', (data) => {
      const frame = data.toString();
      const type = frame.charCodeAt(0);
      if (type === 50 /* 2: ping */) return ws.send('3');
      if (type === 48 /* 0: open */) return ws.send('40');
      if (type !== 52 /* 4: message */) return;
      const kind = frame.charCodeAt(1);
      if (kind === 50 /* 42: event */) {
        if (frame.startsWith('42["chat:message"')) return opts.onChat?.(frame);
        // A bundle from before the app contract (bench:ab's A) says `session`; today's platform, `sys:session`.
        if (frame.startsWith('42["sys:session"') || frame.startsWith('42["session"')) {
          if (!opts.room) return settle();
          joinAck = client.nextAck++;
          ws.send(`42${joinAck}["room:join",${JSON.stringify({ room: opts.room })}]`);
        }
        return;
      }
      if (kind === 51 /* 43: ack */) {
        if (!isSettled() && frame.startsWith(`43${joinAck}[`)) {
          return frame.includes('"ok":true') ? settle() : settle(new Error(`join refused: ${frame.slice(0, 200)}`));
        }
        // Shed by the server under overload (docs/protocol.md): refused, answered, and not delivered.
        if (frame.includes('"code":"overloaded"')) return opts.onShed?.();
        return opts.onAck?.();
      }
      if (kind === 52 /* 44: connect error */) settle(new Error(`connect refused: ${frame.slice(0, 200)}`));
    });
    return promise;
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends one chat message to this client's room; false when the connection is gone. */
  send(text: string): boolean {
    if (!this.open) return false;
    if (this.protocol === 'raw') this.ws.send(text);
    else this.ws.send(`42${this.nextAck++}["chat:message",{"room":${JSON.stringify(this.room)},"text":"${text}"}]`);
    return true;
  }

  close(): void {
    this.closing = true;
    this.ws.terminate();
  }
}

/** Chat texts are `<send time ms>|<sender node index>|<padding>`; no JSON parse on the hot path. */
export function chatText(sentAtMs: number, node: number, padTo: number): string {
  const head = `${sentAtMs.toFixed(3)}|${node}|`;
  return head.length >= padTo ? head : head + 'x'.repeat(padTo - head.length);
}

/** [send time ms, sender node] from a delivery frame of either protocol; undefined if it is not one of ours. */
export function parseDelivery(frame: string, protocol: Protocol): [number, number] | undefined {
  const start = protocol === 'raw' ? 0 : frame.indexOf('"text":"') + 8;
  if (protocol === 'sio' && start < 8) return undefined;
  const bar = frame.indexOf('|', start);
  if (bar < 0) return undefined;
  const sentAt = Number(frame.slice(start, bar));
  const node = frame.charCodeAt(bar + 1) - 48;
  return Number.isFinite(sentAt) && node >= 0 && node <= 9 ? [sentAt, node] : undefined;
}
