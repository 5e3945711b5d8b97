import type { HistogramSnapshot } from '../tools/histogram';
import type { Protocol } from './lite-client';

/** One connection a load worker opens. */
export interface ClientSpec {
  readonly url: string;
  /** Index of the node it connects to; deliveries from a sender on the same node are "local". */
  readonly node: number;
  readonly room?: string;
  readonly sender: boolean;
}

export type WorkerCommand =
  | { id: number; type: 'connect'; protocol: Protocol; clients: ClientSpec[]; concurrency: number }
  | { id: number; type: 'start'; msgsPerS: number; textBytes: number }
  | { id: number; type: 'stop' }
  | { id: number; type: 'drain'; quietMs: number; maxMs: number }
  | { id: number; type: 'close' };

export interface ConnectReply {
  readonly opened: number;
  readonly failed: number;
  readonly firstError?: string;
  readonly ms: number;
}

export interface WindowStats {
  readonly ms: number;
  readonly sent: number;
  /** Acks that accepted the message. */
  readonly acked: number;
  /** Acks that refused it with `overloaded`: shed by the server, counted apart from what was lost. */
  readonly shed: number;
  readonly delivered: number;
  readonly local: HistogramSnapshot;
  readonly cross: HistogramSnapshot;
  /** Connections the server (or the network) closed during the window. */
  readonly lost: number;
}

export type WorkerReply =
  | { id: number; type: 'connect'; result: ConnectReply }
  | { id: number; type: 'stop'; result: WindowStats }
  | { id: number; type: 'done' }
  | { id: number; type: 'error'; message: string };
