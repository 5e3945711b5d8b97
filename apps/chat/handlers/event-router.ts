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

  /** One listener per handler and one for unknown events, shared by every socket: per-socket closures cost heap per connection. */
  private readonly listeners = new Map<Handler, SocketListener>();
  private readonly unknown = (event: string, ...args: unknown[]) => {
    if (this.handlers.has(event)) return;
    const ack = args.at(-1);
    if (typeof ack === 'function') ack(failure('unknown_event', `unknown event ${JSON.stringify(event).slice(0, 80)}`));
  };

  /** Installs every handler on the context's socket, and answers any other event that carries an ack. */
  attach(ctx: HandlerContext): void {
    bindContext(ctx);
    for (const handler of this.handlers.values()) {
      let listener = this.listeners.get(handler);
      if (!listener) this.listeners.set(handler, (listener = listen(handler)));
      ctx.socket.on(handler.event, listener);
    }
    ctx.socket.onAny(this.unknown);
  }
}
