import type { Server, Socket } from 'socket.io';
import type { DisconnectResult, RoomPresence, UserPresence } from '../../../contract/api';
import { userRoom } from '../../../contract/app';
import type { Identity } from '../../../contract/app';
import type { ClusterQueries } from './cluster-query';

/** Presence across the cluster, and disconnecting a user everywhere (docs/api.md). */
export interface Presence {
  /** Rejects with PresenceUnavailable when Redis is away; a node that does not answer in time makes it `partial`. */
  room(room: string): Promise<RoomPresence>;
  user(user: string): Promise<UserPresence>;
  disconnectUser(user: string): Promise<DisconnectResult>;
}

export class PresenceUnavailable extends Error {
  override name = 'PresenceUnavailable';
}

export interface PresenceOptions {
  readonly io: Server;
  readonly queries: ClusterQueries;
  /** False while Redis reconnects: the other nodes cannot be asked. */
  readonly clusterReachable: () => boolean;
  readonly timeoutMs: number;
  readonly maxUsers: number;
  /** Called once per query that some node did not answer in time. */
  readonly onTimeout?: () => void;
}

interface LocalPresence {
  users: string[];
  connections: number;
  truncated: boolean;
}

const PRESENCE = 'sys:presence';
const DISCONNECT = 'sys:disconnect-user';

/** The sockets' users of one room on this node: at most `cap` of them, so the cost is bounded by the cap, not the room. */
export function localPresence(io: Server, room: string, cap: number): LocalPresence {
  const nsp = io.of('/');
  const sids = nsp.adapter.rooms.get(room);
  if (!sids) return { users: [], connections: 0, truncated: false };
  const users = new Set<string>();
  let truncated = false;
  for (const sid of sids) {
    const user = (nsp.sockets.get(sid)?.data.identity as Identity | undefined)?.user;
    if (user === undefined || users.has(user)) continue;
    if (users.size >= cap) {
      truncated = true;
      break;
    }
    users.add(user);
  }
  return { users: [...users], connections: sids.size, truncated };
}

function isLocalPresence(v: unknown): v is LocalPresence {
  const p = v as LocalPresence;
  return (
    typeof p === 'object' &&
    p !== null &&
    Array.isArray(p.users) &&
    p.users.every((u) => typeof u === 'string') &&
    Number.isInteger(p.connections) &&
    typeof p.truncated === 'boolean'
  );
}

export function createPresence(opts: PresenceOptions): Presence {
  const { io, queries, timeoutMs, maxUsers } = opts;
  const parseRequest = (payload: unknown) => {
    const p = payload as { room?: unknown; cap?: unknown; user?: unknown } | null;
    return typeof p === 'object' && p !== null ? p : {};
  };
  queries.answer(PRESENCE, (payload) => {
    const { room, cap } = parseRequest(payload);
    if (typeof room !== 'string' || !Number.isInteger(cap) || (cap as number) < 1) return undefined;
    return localPresence(io, room, cap as number);
  });
  queries.answer(DISCONNECT, (payload) => {
    const { user } = parseRequest(payload);
    return typeof user === 'string' ? { disconnected: disconnectLocal(user) } : undefined;
  });

  function disconnectLocal(user: string): number {
    const nsp = io.of('/');
    const sockets = [...(nsp.adapter.rooms.get(userRoom(user)) ?? [])].map((sid) => nsp.sockets.get(sid)).filter(Boolean) as Socket[];
    // `true` closes the connection too: the client sees "io server disconnect" and does not reconnect by itself.
    for (const socket of sockets) socket.disconnect(true);
    return sockets.length;
  }

  async function gather(kind: string, payload: unknown) {
    if (!opts.clusterReachable()) throw new PresenceUnavailable('redis is reconnecting');
    const gathered = await queries.ask(kind, payload, timeoutMs).catch((err: unknown) => {
      throw new PresenceUnavailable(`the nodes could not be counted: ${(err as Error).message}`);
    });
    if (!gathered.complete) opts.onTimeout?.();
    return gathered;
  }

  // Concurrent queries of one room share one cluster request: a crowd asking at once costs one round.
  const inFlight = new Map<string, Promise<RoomPresence>>();
  async function queryRoom(room: string): Promise<RoomPresence> {
    const gathered = await gather(PRESENCE, { room, cap: maxUsers });
    // Local last, so that it is as fresh as the latest remote answer.
    const parts = [...gathered.answers.filter(isLocalPresence), localPresence(io, room, maxUsers)];
    const users = new Set<string>();
    for (const part of parts) for (const u of part.users) users.add(u);
    const sorted = [...users].sort();
    return {
      room,
      users: sorted.slice(0, maxUsers),
      connections: parts.reduce((sum, p) => sum + p.connections, 0),
      truncated: sorted.length > maxUsers || parts.some((p) => p.truncated),
      partial: !gathered.complete,
    };
  }

  const presence: Presence = {
    room(room) {
      let pending = inFlight.get(room);
      if (!pending) {
        pending = queryRoom(room).finally(() => inFlight.delete(room));
        inFlight.set(room, pending);
      }
      return pending;
    },
    async user(user) {
      const { connections, partial } = await presence.room(userRoom(user));
      return { user, online: connections > 0, connections, partial };
    },
    async disconnectUser(user) {
      const gathered = await gather(DISCONNECT, { user });
      const remote = gathered.answers.reduce<number>((sum, a) => sum + (Number((a as { disconnected?: unknown })?.disconnected) || 0), 0);
      return { user, disconnected: remote + disconnectLocal(user), partial: !gathered.complete };
    },
  };
  return presence;
}
