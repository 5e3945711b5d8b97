import type { Socket } from 'socket.io';
import type { z } from 'zod';
import type { Logger } from '../logger';
import { type Ack, type AckFn, fail } from '../../../contract/events';

const noop = () => undefined;

/**
 * Wraps one event handler: validates the payload at the edge, always answers through the
 * ack (when the client sent one), and never lets an exception escape into Socket.IO.
 */
export function defineHandler<S extends z.ZodType, R extends object>(
  socket: Socket,
  logger: Logger,
  event: string,
  schema: S,
  handle: (payload: z.infer<S>, afterAck: (fn: () => void) => void) => Promise<Ack<R>> | Ack<R>,
): void {
  socket.on(event, async (payload: unknown, ack?: unknown) => {
    // A client may omit the ack, or send it in the payload's place.
    const respond: AckFn<R> = typeof ack === 'function' ? (ack as AckFn<R>) : typeof payload === 'function' ? (payload as AckFn<R>) : noop;
    const parsed = schema.safeParse(typeof payload === 'function' ? undefined : payload);
    if (!parsed.success) {
      respond(fail('invalid_payload', parsed.error.issues.map((i) => i.message).join('; ')));
      return;
    }
    let deferred: (() => void) | undefined;
    let answered = false;
    try {
      const response = await handle(parsed.data, (fn) => (deferred = fn));
      answered = true;
      respond(response);
      if (response.ok) deferred?.();
    } catch (err) {
      logger.error({ err, event, sid: socket.id }, 'handler failed');
      if (!answered) respond(fail('internal', 'internal error'));
    }
  });
}
