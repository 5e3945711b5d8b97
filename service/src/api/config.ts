import type { Env } from '../../../contract/env';

/** The backend API's settings and the presence query's (docs/api.md). */
export interface ApiConfig {
  /** Accepted bearer keys; empty: the API is off and answers 404. */
  readonly keys: readonly string[];
  /** Largest request body; larger gets 413. */
  readonly maxBodyBytes: number;
  /** Most rooms, users and except entries one publish may name, together. */
  readonly maxTargets: number;
  /** Requests per second per key on one node, and the burst above it. */
  readonly perKey: { readonly ratePerS: number; readonly burst: number };
  /** Deliveries one key's publishes may cause on one node per second, and the burst above it. */
  readonly deliveriesPerKey: { readonly ratePerS: number; readonly burst: number };
  /** How long a publish's idempotencyKey is remembered. */
  readonly idempotencyWindowMs: number;
  readonly presence: {
    /** Bound on a presence query or a user disconnect: nodes that have not answered by then are left out. */
    readonly timeoutMs: number;
    /** Most users one presence answer lists. */
    readonly maxUsers: number;
  };
}

export function apiConfig(e: Env): ApiConfig {
  return {
    keys: e.API_KEYS ?? [],
    maxBodyBytes: e.API_MAX_BODY_BYTES,
    maxTargets: e.API_MAX_TARGETS,
    perKey: { ratePerS: e.API_RATE_LIMIT_PER_KEY, burst: e.API_RATE_LIMIT_PER_KEY_BURST },
    deliveriesPerKey: { ratePerS: e.API_DELIVERIES_PER_KEY_PER_S, burst: e.API_DELIVERIES_PER_KEY_BURST },
    idempotencyWindowMs: e.API_IDEMPOTENCY_WINDOW_MS,
    presence: {
      timeoutMs: e.PRESENCE_TIMEOUT_MS,
      maxUsers: e.PRESENCE_MAX_USERS,
    },
  };
}
