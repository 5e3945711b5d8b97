import type { IncomingMessage } from 'node:http';
import { ApiError } from './respond';

/** A body that has not fully arrived by then is refused (408): a slow sender holds no memory for long. */
export const BODY_TIMEOUT_MS = 10_000;
/** Deeper `data` is refused: a payload's depth costs recursion in every node's encoder and every client's decoder. */
export const MAX_JSON_DEPTH = 32;

/** The declared length past the cap, before any of the body is read. */
export function declaredTooLarge(req: IncomingMessage, maxBytes: number): boolean {
  const declared = Number(req.headers['content-length']);
  return Number.isFinite(declared) && declared > maxBytes;
}

/** Reads the body up to `maxBytes`; rejects with ApiError (413 past the cap, 408 past the timeout). */
export function readBody(req: IncomingMessage, maxBytes: number, timeoutMs = BODY_TIMEOUT_MS): Promise<Buffer> {
  if (declaredTooLarge(req, maxBytes)) return Promise.reject(tooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err?: Error) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (err) {
        // Stop reading: the answer goes out with `connection: close`.
        req.pause();
        reject(err);
      } else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return done(tooLarge(maxBytes));
      chunks.push(chunk);
    };
    const onEnd = () => done();
    const onError = (err: Error) => done(new ApiError('invalid_payload', `the body could not be read: ${err.message}`));
    const onAborted = () => done(new ApiError('invalid_payload', 'the client went away while sending the body'));
    const timer = setTimeout(() => done(new ApiError('timeout', `the body did not arrive within ${timeoutMs} ms`)), timeoutMs);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

const tooLarge = (maxBytes: number) => new ApiError('payload_too_large', `the body is larger than API_MAX_BODY_BYTES (${maxBytes} bytes)`);

/** A JSON object, or an ApiError saying what is wrong with it. */
export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) throw new ApiError('invalid_payload', 'the body is empty: send a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ApiError('invalid_payload', 'the body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError('invalid_payload', 'the body must be a JSON object');
  }
  if (depthExceeds(value, MAX_JSON_DEPTH)) throw new ApiError('invalid_payload', `the body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  return value as Record<string, unknown>;
}

/** Iterative, so that the check itself cannot overflow the stack it protects. */
export function depthExceeds(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}
