import type { Server, Socket } from 'socket.io';
import type { Identity } from '../admission/auth';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/publisher';
import type { Presence } from '../rooms/presence';

/** What every handler of one socket may use. */
export interface HandlerContext {
  readonly io: Server;
  readonly socket: Socket;
  readonly logger: Logger;
  readonly config: Config;
  readonly nodeId: string;
  readonly identity: Identity;
  readonly metrics: Pick<Metrics, 'increment'>;
  /** Sockets in a room across the whole cluster. */
  readonly countMembers: (room: string) => Promise<number>;
  /** Who is in a room across the whole cluster (`room:presence`, and the backend API's). */
  readonly presence: Presence;
  /** True while the node is too far behind to take more messages. */
  readonly overloaded: () => boolean;
  /** Resolves once this node's Redis subscriptions for rooms joined so far are live (bounded). */
  readonly subscriptionsSettled: () => Promise<void>;
}
