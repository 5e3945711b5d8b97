// The baseline for "the cost of our own code": stock Socket.IO with the Redis adapter, the same
// events and message shape as the service, and nothing else (no validation, limits, metrics, logs).
// Env: PORT, NODE_ID, REDIS_URL (unset: in-memory adapter), and for tuning experiments
// STOCK_DEFLATE=1, STOCK_PARSER=json, STOCK_SPECIFIC_RESPONSE_CHANNEL=1.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';

const env = process.env;
const nodeId = env.NODE_ID ?? `stock-${env.PORT}`;
const jsonParser = { encode: (v: unknown) => JSON.stringify(v), decode: (v: unknown) => JSON.parse(String(v)) as unknown };

async function main(): Promise<void> {
  // /readyz answers as the service's does, for a load balancer's health check (bench:ab --via-haproxy).
  // Engine.IO hands this listener only the requests outside /socket.io/.
  const httpServer = createServer((req, res) => {
    res.statusCode = req.url === '/readyz' ? 200 : 404;
    res.end();
  });
  const io = new Server(httpServer, { perMessageDeflate: env.STOCK_DEFLATE === '1', serveClient: false });
  if (env.REDIS_URL) {
    const pub = createClient({ url: env.REDIS_URL });
    const sub = pub.duplicate();
    pub.on('error', (err: Error) => console.error('redis pub', err.message));
    sub.on('error', (err: Error) => console.error('redis sub', err.message));
    await Promise.all([pub.connect(), sub.connect()]);
    io.adapter(
      createAdapter(pub, sub, {
        parser: env.STOCK_PARSER === 'json' ? jsonParser : undefined,
        publishOnSpecificResponseChannel: env.STOCK_SPECIFIC_RESPONSE_CHANNEL === '1',
      }),
    );
  }
  io.on('connection', (socket) => {
    const user = `guest-${socket.id.slice(0, 6)}`;
    socket.emit('sys:session', { sid: socket.id, node: nodeId, user, recovered: false });
    socket.on('room:join', async ({ room }: { room: string }, ack: (r: unknown) => void) => {
      await socket.join(room);
      ack({ ok: true, room });
    });
    socket.on('chat:message', ({ room, text }: { room: string; text: string }, ack: (r: unknown) => void) => {
      const message = { id: randomUUID(), room, text, from: user, sentAt: new Date().toISOString(), node: nodeId };
      ack({ ok: true, id: message.id });
      io.to(room).emit('chat:message', message);
    });
  });
  httpServer.listen(Number(env.PORT ?? 0), '127.0.0.1', () => console.log(`ready ${nodeId}`));
  process.on('SIGTERM', () => process.exit(0));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
