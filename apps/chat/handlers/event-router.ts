import { failure } from '../protocol';
import type { HandlerContext } from './context';
import { bindContext, type Handler, listen, type SocketListener } from './handler';

/**
 * The handlers of the client protocol, by event. The set of known events is the set of
 * registered handlers, so a handler cannot exist without its event being known, nor the other way round.
 */
export class EventRouter {
  private readonly handlers = new Map<string, Handler>();

  /** Adds a handler; from now on its event is known. A second handler for one event is a bug, refused at start. */
  register(handler: Handler): this {
    if (this.handlers.has(handler.event)) throw new Error(`a handler for ${handler.event} is already registered`);
    this.handlers.set(handler.event, handler);
    return this;
  }

  /** The events answered by a handler; every other event is answered with unknown_event. */
  get events(): ReadonlySet<string> {
    return new Set(this.handlers.keys());
  }

  /** One listener per handler and one middleware for unknown events, shared by every socket: closures per socket cost heap. */
  private readonly listeners = new Map<Handler, SocketListener>();
  // A middleware, not an onAny listener: Socket.IO calls onAny listeners before any middleware, so an unknown event
  // would be answered unknown_event before the platform's limits (its own middlewares, installed first) could refuse it.
  private readonly unknown = (packet: unknown[], next: (err?: Error) => void) => {
    const event = packet[0];
    if (typeof event === 'string' && this.handlers.has(event)) return next();
    // The ack follows the name: an event without one (`421`, which Socket.IO lets through) has its ack first, and no answer.
    const ack = packet.length > 1 ? packet.at(-1) : undefined;
    if (typeof ack === 'function') ack(failure('unknown_event', `unknown event ${String(JSON.stringify(event)).slice(0, 80)}`));
    next();
  };

  /** Installs every handler on the context's socket, and answers any other event that carries an ack. */
  attach(ctx: HandlerContext): void {
    bindContext(ctx);
    for (const handler of this.handlers.values()) {
      let listener = this.listeners.get(handler);
      if (!listener) this.listeners.set(handler, (listener = listen(handler)));
      ctx.socket.on(handler.event, listener);
    }
    ctx.socket.use(this.unknown);
  }
}
