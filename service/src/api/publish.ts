import { createHash, randomUUID } from 'node:crypto';
import type { Server } from 'socket.io';
import type { PublishRequest, PublishResponse } from '../../../contract/api';
import { userRoom } from '../../../contract/app';
import { sendingAs } from '../delivery/delivery-budget';
import type { IdempotencyStore } from './idempotency';
import { ApiError } from './respond';

export interface PublishOptions {
  readonly io: Server;
  readonly maxTargets: number;
  readonly idempotency: IdempotencyStore;
}

const unique = (xs: readonly string[] | undefined) => [...new Set(xs ?? [])];

/** JSON with object keys sorted, so that a retry that serialises its fields in another order is the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Publishes one validated request: to the union of `rooms` and the users' rooms (each socket
 * once, however many of them it is in), or to everyone without either, less `except` and `exceptUsers`. The
 * event carries exactly the backend's arguments (`data`, or `args`); the id goes back in the answer only. Its
 * deliveries, on every node, are charged to `sender` (the API key's delivery budget).
 */
export function createPublish(opts: PublishOptions): (req: PublishRequest, sender: string) => Promise<PublishResponse> {
  const { io, maxTargets, idempotency } = opts;
  return async (req, sender) => {
    const rooms = unique(req.rooms);
    const users = unique(req.users);
    const except = [...unique(req.except), ...unique(req.exceptUsers).map(userRoom)];
    const count = rooms.length + users.length + except.length;
    if (count > maxTargets) {
      throw new ApiError(
        'too_many_targets',
        `rooms, users, except and exceptUsers name ${count} targets together, the limit is ${maxTargets}`,
      );
    }
    const targets = [...rooms, ...users.map(userRoom)];
    // An empty list is far more likely a bug upstream than a wish to reach everyone.
    if ((req.rooms !== undefined || req.users !== undefined) && targets.length === 0) {
      throw new ApiError('invalid_payload', 'rooms and users are empty: omit both to publish to everyone');
    }
    const id = randomUUID();
    if (req.idempotencyKey !== undefined) {
      const fingerprint = createHash('sha256')
        .update(canonicalJson({ ...req, rooms, users, except }))
        .digest('base64url');
      const earlier = await idempotency.claim(req.idempotencyKey, { id, fingerprint });
      if (earlier && earlier.fingerprint !== fingerprint) {
        throw new ApiError('idempotency_key_reused', 'this idempotencyKey was used for a different publish within the window');
      }
      if (earlier) return { ok: true, id: earlier.id, duplicate: true };
    }
    const args = req.args ?? (req.data === undefined ? [] : [req.data]);
    const to = (targets.length > 0 ? io.to(targets) : io).except(except);
    sendingAs(sender, () => to.emit(req.event, ...args));
    return { ok: true, id, duplicate: false };
  };
}
