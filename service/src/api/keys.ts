import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
const BEARER = /^Bearer +([\x21-\x7e]{1,512})$/i;

/** Why a request was refused 401, naming the header and what it must hold; never the key it carried. */
export function unauthorizedMessage(authorization: string | undefined): string {
  const fix = 'send Authorization: Bearer <key> with a key from API_KEYS';
  if (authorization === undefined) return `the Authorization header is missing: ${fix}`;
  if (!BEARER.test(authorization))
    return `the Authorization header must be "Bearer <key>", the key 1-512 printable ASCII characters: ${fix}`;
  return `the key in the Authorization header is not one of API_KEYS: ${fix}`;
}

/**
 * The accepted bearer keys. A presented key is hashed and compared with every key's hash with
 * timingSafeEqual, always all of them: neither the time nor the order tells which key (or how
 * much of one) matched.
 */
export class ApiKeys {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** The index of the key in `Authorization: Bearer <key>`, or -1. */
  match(authorization: string | undefined): number {
    const presented = BEARER.exec(authorization ?? '')?.[1];
    if (presented === undefined) return -1;
    const d = digest(presented);
    let found = -1;
    this.digests.forEach((key, i) => {
      if (timingSafeEqual(key, d) && found < 0) found = i;
    });
    return found;
  }
}
