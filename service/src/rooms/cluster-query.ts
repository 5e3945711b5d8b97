import { randomUUID } from 'node:crypto';
import type { Server } from 'socket.io';
import { withTimeout } from '../deadline';
import type { Logger } from '../logger';

const QUERY = 'sys:query';
const REPLY = 'sys:reply';

/** What the other nodes answered within the bound. */
export interface Gathered {
  readonly answers: unknown[];
  /** Nodes that were asked (the adapter's server count, less this node). */
  readonly expected: number;
  /** Every node asked has answered. */
  readonly complete: boolean;
}

/** Answers one kind of query for this node's own sockets; undefined means "not for me" (nothing is sent back). */
export type Answerer = (payload: unknown) => unknown;

interface Pending {
  readonly answers: unknown[];
  readonly from: Set<string>;
  readonly expected: number;
  finish(complete: boolean): void;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A request to every node that answers within a bound, with whatever has arrived by then.
 *
 * The adapters' own `serverSideEmitWithAck` is all or nothing (socket.io-redis-adapter#367):
 * one node that dies or stalls costs the whole answer after a fixed 5 s in the streams and
 * sharded adapters, and the classic adapter's timer starts only once Redis has counted the
 * nodes. Here the query and each node's reply are plain server-side emits, so the asking node
 * holds every reply as it arrives and answers at its own deadline with those it has.
 */
export class ClusterQueries {
  private readonly uid = randomUUID();
  private readonly pending = new Map<string, Pending>();
  private readonly answerers = new Map<string, Answerer>();

  constructor(
    private readonly io: Server,
    private readonly logger: Logger,
  ) {
    io.on(QUERY, (msg: unknown) => this.onQuery(msg));
    io.on(REPLY, (msg: unknown) => this.onReply(msg));
  }

  answer(kind: string, answerer: Answerer): void {
    this.answerers.set(kind, answerer);
  }

  /**
   * Asks every other node; resolves within `timeoutMs` with the answers that came. Rejects
   * only when the nodes cannot even be counted in time (Redis away or stalled).
   */
  async ask(kind: string, payload: unknown, timeoutMs: number): Promise<Gathered> {
    const deadline = performance.now() + timeoutMs;
    const servers = await withTimeout(Promise.resolve(this.io.of('/').adapter.serverCount()), timeoutMs);
    const expected = Math.max(0, servers - 1);
    if (expected === 0) return { answers: [], expected, complete: true };
    const id = randomUUID();
    return new Promise<Gathered>((resolve) => {
      const answers: unknown[] = [];
      const finish = (complete: boolean) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve({ answers, expected, complete });
      };
      const timer = setTimeout(() => finish(false), Math.max(0, deadline - performance.now()));
      this.pending.set(id, { answers, from: new Set(), expected, finish });
      this.io.serverSideEmit(QUERY, { id, from: this.uid, kind, payload });
    });
  }

  /** Ends every query in flight with what it has (close). */
  close(): void {
    for (const p of [...this.pending.values()]) p.finish(false);
  }

  private onQuery(msg: unknown): void {
    if (!isRecord(msg) || typeof msg.id !== 'string' || typeof msg.from !== 'string' || typeof msg.kind !== 'string') return;
    const answerer = this.answerers.get(msg.kind);
    if (!answerer) return;
    const { id, from, kind } = msg;
    // A bug in one answerer must cost its answer, not the node: this runs in the adapter's message handler.
    Promise.resolve()
      .then(() => answerer(msg.payload))
      .then((answer) => {
        if (answer !== undefined) this.io.serverSideEmit(REPLY, { id, to: from, from: this.uid, answer });
      })
      .catch((err: unknown) => this.logger.warn({ err, kind }, 'cluster query answer failed'));
  }

  private onReply(msg: unknown): void {
    if (!isRecord(msg) || msg.to !== this.uid || typeof msg.id !== 'string' || typeof msg.from !== 'string') return;
    const p = this.pending.get(msg.id);
    if (!p || p.from.has(msg.from)) return;
    p.from.add(msg.from);
    p.answers.push(msg.answer);
    if (p.from.size >= p.expected) p.finish(true);
  }
}
