import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpForwarder {
  readonly port: number;
  /** redis:// URL of the forwarder, for REDIS_URL. */
  readonly url: string;
  /** The port new connections are forwarded to. */
  target(): number;
  /** Live forwarded connections, per upstream port. */
  connections(): Map<number, number>;
  /**
   * Sends new connections to `port`. With dropExisting, open connections are cut, as when a
   * failed node disappears; without it they stay attached to the old upstream, as when a
   * primary is demoted in place and the DNS name moves on.
   */
  switchTo(port: number, opts: { dropExisting: boolean }): void;
  /** Stops listening and cuts every connection; idempotent. */
  close(): Promise<void>;
}

interface Pair {
  readonly upstreamPort: number;
  readonly client: Socket;
  readonly upstream: Socket;
}

/**
 * A TCP forwarder on 127.0.0.1 standing in for a managed Redis endpoint (ElastiCache's
 * primary endpoint): one stable address whose backing server can change underneath.
 */
export async function startTcpForwarder(opts: { targetPort: number; port?: number }): Promise<TcpForwarder> {
  let targetPort = opts.targetPort;
  const pairs = new Set<Pair>();

  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    const pair: Pair = { upstreamPort: targetPort, client, upstream };
    pairs.add(pair);
    // Either side failing ends both: a half-forwarded connection would look alive to its peer.
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;

  let closing: Promise<void> | undefined;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    target: () => targetPort,
    connections() {
      const counts = new Map<number, number>();
      for (const p of pairs) counts.set(p.upstreamPort, (counts.get(p.upstreamPort) ?? 0) + 1);
      return counts;
    },
    switchTo(next, { dropExisting }) {
      targetPort = next;
      if (!dropExisting) return;
      for (const p of [...pairs]) {
        pairs.delete(p);
        p.client.destroy();
        p.upstream.destroy();
      }
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const p of [...pairs]) {
          p.client.destroy();
          p.upstream.destroy();
        }
        pairs.clear();
      })),
  };
}
