// A collaborative canvas as a platform app (contract/app.ts), in TypeScript. Clients send `draw` strokes without acks,
// as fast as a pointer moves (about 100 a second); every other client on any node draws them, and a client that
// arrives later gets the drawing so far from Redis.
import { readFile } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { createClient } from 'redis';
import type { SocketApp } from '../../contract/app';

/** One segment of a line, in canvas coordinates from 0 to 1, so that canvases of any size agree. */
export interface Stroke {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
  /** `#rrggbb` */
  readonly color: string;
  /** In thousandths of the canvas's width, 1 to 50. */
  readonly width: number;
}

/** The drawing so far: a Redis list of strokes, oldest first, trimmed to the newest MAX_STROKES. */
const DRAWING = 'canvas:strokes';
const MAX_STROKES = 20_000;
/** How many pushes go between two trims of the list: trimming is cheap but need not follow every stroke. */
const TRIM_EVERY = 200;

const inCanvas = (v: unknown): v is number => typeof v === 'number' && v >= 0 && v <= 1;

/** The stroke a client sent, with only the known fields, or undefined when it is not one. */
export function toStroke(value: unknown): Stroke | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { x0, y0, x1, y1, color, width } = value as Record<string, unknown>;
  if (![x0, y0, x1, y1].every(inCanvas)) return undefined;
  if (typeof color !== 'string' || !/^#[0-9a-f]{6}$/i.test(color)) return undefined;
  if (typeof width !== 'number' || !(width >= 1 && width <= 50)) return undefined;
  return { x0, y0, x1, y1, color, width } as Stroke;
}

const canvas: SocketApp = async (io, platform) => {
  const log = platform.logger;
  if (!platform.redisUrl) throw new Error('canvas keeps its drawing in Redis, but the node has no Redis (no REDIS_URL)');
  const redis = createClient({ url: platform.redisUrl });
  // Without a listener an error event would end the node; the client reconnects by itself.
  redis.on('error', (err: unknown) => log.warn({ err: String(err) }, 'canvas: redis'));
  await redis.connect();
  let pushes = 0;

  io.on('connection', async (socket) => {
    socket.on('draw', async (value: unknown) => {
      const stroke = toStroke(value);
      if (!stroke) {
        platform.metrics.count('canvas.rejected');
        return;
      }
      // Stored before it is sent: a client that reads the drawing after connecting has every stroke it will not
      // receive live (it may get a few twice, which draws the same pixels).
      try {
        await redis.rPush(DRAWING, JSON.stringify(stroke));
        // Not awaited: a stroke's broadcast waits for its own push only, so one client's strokes go out in order.
        if (++pushes % TRIM_EVERY === 0)
          redis.lTrim(DRAWING, -MAX_STROKES, -1).catch((err: unknown) => log.warn({ err: String(err) }, 'canvas: trim'));
      } catch (err) {
        log.warn({ err: String(err) }, 'canvas: stroke not stored');
      }
      platform.metrics.count('canvas.strokes');
      socket.broadcast.emit('draw', stroke);
    });

    socket.on('clear', async () => {
      try {
        await redis.del(DRAWING);
      } catch (err) {
        log.warn({ err: String(err) }, 'canvas: not cleared');
        return;
      }
      socket.broadcast.emit('clear');
    });

    try {
      const stored = await redis.lRange(DRAWING, -MAX_STROKES, -1);
      socket.emit(
        'drawing',
        stored.map((s) => JSON.parse(s) as Stroke),
      );
    } catch (err) {
      log.warn({ err: String(err) }, 'canvas: drawing unavailable');
      socket.emit('drawing', []);
    }
  });
};
export default canvas;

const PUBLIC = join(__dirname, 'public');
// Only these paths are served: a URL never becomes a file path.
const PAGES: ReadonlyMap<string, readonly [file: string, type: string]> = new Map([
  ['/', ['index.html', 'text/html; charset=utf-8']],
  ['/canvas.js', ['canvas.js', 'text/javascript; charset=utf-8']],
  ['/style.css', ['style.css', 'text/css; charset=utf-8']],
]);

/** The page: every request the platform does not serve itself comes here. */
export function http(req: IncomingMessage, res: ServerResponse): void {
  const page = req.method === 'GET' || req.method === 'HEAD' ? PAGES.get(new URL(req.url ?? '/', 'http://localhost').pathname) : undefined;
  if (!page) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  readFile(join(PUBLIC, page[0]), (err, body) => {
    if (err) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('page missing\n');
    else res.writeHead(200, { 'content-type': page[1], 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }).end(body);
  });
}
