import type { IncomingMessage } from 'node:http';
import { describeValue } from './invalid';
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

/** What a body must look like, for the messages that refuse one. */
const EXAMPLE = '{"event":"order:paid","rooms":["shop-7"]}';
/** Of a JSON.parse error's text, e.g. "Unexpected end of JSON input": enough to find the mistake. */
const PARSE_ERROR_CHARS = 120;

/** A JSON object, or an ApiError saying what is wrong with it (and, for a body nested too deep, which field). */
export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) throw new ApiError('invalid_payload', `the body is empty: send a JSON object such as ${EXAMPLE}`);
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    const why = (err as Error).message.slice(0, PARSE_ERROR_CHARS);
    throw new ApiError('invalid_payload', `the body is not valid JSON (${why}): send a JSON object such as ${EXAMPLE}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError('invalid_payload', `the body must be a JSON object such as ${EXAMPLE}, got ${describeValue(value)}`);
  }
  if (depthExceeds(value, MAX_JSON_DEPTH)) {
    // The body is the first level: the field that goes past it has MAX_JSON_DEPTH - 1 of its own.
    const field = Object.entries(value).find(([, v]) => depthExceeds(v, MAX_JSON_DEPTH - 1))?.[0] ?? 'the body';
    throw new ApiError('invalid_payload', `${field} is nested too deep: the body may nest ${MAX_JSON_DEPTH} levels, counting itself`);
  }
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

const hasOwnProto = (v: object) => Object.prototype.hasOwnProperty.call(v, '__proto__');

/** Whether `value` holds an object with an own key named `__proto__`, at any depth. Iterative, as depthExceeds is. */
function holdsProtoKey(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (!Array.isArray(v) && hasOwnProto(v)) return true;
    for (const child of Object.values(v)) if (typeof child === 'object' && child !== null) stack.push(child);
  }
  return false;
}

/**
 * The path of the first key named `__proto__` in `value` (`data.user.__proto__`, `args[1].__proto__`), if any. The
 * paths are built only for a value that holds one.
 */
export function protoKeyPath(value: unknown, root: string): string | undefined {
  if (!holdsProtoKey(value)) return undefined;
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}[${i}]`]);
      continue;
    }
    if (hasOwnProto(v)) return `${path}.__proto__`;
    for (const [k, child] of Object.entries(v).reverse()) stack.push([child, `${path}.${k}`]);
  }
  return undefined;
}

/**
 * Refuses a publish whose `data` or `args` hold a key named `__proto__` anywhere. JSON.parse makes it an ordinary key,
 * and the accepting node writes it to its own sockets as such; but in the pubsub mode every other node decodes the
 * broadcast with notepack (`object[key] = value`), which makes it the object's prototype, and no client there receives
 * it (the sharded and streams adapters send JSON, and keep it, unless the packet has binary parts: then they use
 * msgpack too, and the streams adapter's decoder rejects the whole message). So one publish would reach the nodes'
 * clients in two shapes: it is refused in every mode, naming the key, rather than delivered either way.
 */
export function refuseProtoKeys(body: { data?: unknown; args?: unknown[] }): void {
  const path = protoKeyPath(body.data, 'data') ?? protoKeyPath(body.args, 'args');
  if (path === undefined) return;
  throw new ApiError(
    'invalid_payload',
    `${path} is a key named __proto__, which the other nodes cannot deliver as the accepting node does (their decoding makes it ` +
      "the object's prototype): rename the key",
  );
}
