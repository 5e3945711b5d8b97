import type { Socket } from 'socket.io';
import type { z } from 'zod';
import { type Ack, type AckFn, failure } from '../protocol';
import type { HandlerContext } from './context';

/** One client event and how it is answered. Registering it (EventRouter) is what makes its event known. */
export interface Handler<S extends z.ZodType = z.ZodType, R extends object = object> {
  /** The client event this handler answers. */
  readonly event: string;
  /** The payload's shape; a payload that does not match is answered with invalid_payload before `handle` runs. */
  readonly schema: S;
  /**
   * Answers one valid payload. `afterAck` defers work (a broadcast) until the answer is on its way,
   * and runs it only if the answer is a success.
   */
  handle(payload: z.infer<S>, ctx: HandlerContext, afterAck: (fn: () => void) => void): Promise<Ack<R>> | Ack<R>;
}

/** Declares a handler; only a typing aid, so that `payload` takes the schema's type. */
export function defineHandler<S extends z.ZodType, R extends object>(handler: Handler<S, R>): Handler<S, R> {
  return handler;
}

const noop = () => undefined;

/** A listener Socket.IO calls with the socket as `this`. */
export type SocketListener = (this: Socket, payload: unknown, ack?: unknown) => Promise<void>;

/** Each socket's handler context, found from the socket a shared listener is called on. */
const contexts = new WeakMap<Socket, HandlerContext>();

/** Makes `ctx` the context of its socket's listeners; it goes with the socket. */
export function bindContext(ctx: HandlerContext): void {
  contexts.set(ctx.socket, ctx);
}

/**
 * The listener for one handler's event, shared by every socket (bindContext gives each its context):
 * validates the payload at the edge, always answers through the ack (when the client sent one), and
 * never lets an exception escape into Socket.IO.
 */
export function listen(handler: Handler): SocketListener {
  return async function (this: Socket, payload: unknown, ack?: unknown): Promise<void> {
    const ctx = contexts.get(this);
    if (!ctx) return;
    const { socket, logger } = ctx;
    // A client may omit the ack, or send it in the payload's place.
    const respond: AckFn<object> =
      typeof ack === 'function' ? (ack as AckFn<object>) : typeof payload === 'function' ? (payload as AckFn<object>) : noop;
    const parsed = handler.schema.safeParse(typeof payload === 'function' ? undefined : payload);
    if (!parsed.success) {
      respond(failure('invalid_payload', parsed.error.issues.map((i) => i.message).join('; ')));
      return;
    }
    let deferred: (() => void) | undefined;
    let answered = false;
    try {
      const response = await handler.handle(parsed.data, ctx, (fn) => (deferred = fn));
      answered = true;
      respond(response);
      if (response.ok) deferred?.();
    } catch (err) {
      logger.error({ err, event: handler.event, sid: socket.id }, 'handler failed');
      if (!answered) respond(failure('internal', 'internal error'));
    }
  };
}
