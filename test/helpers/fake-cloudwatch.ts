import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';

export interface WireDatum {
  MetricName: string;
  Dimensions: Array<{ Name: string; Value: string }>;
  Timestamp: number;
  Value: number;
  Unit: string;
}
export interface Received {
  target: string | undefined;
  contentType: string | undefined;
  body: { Namespace: string; MetricData: WireDatum[] };
}
export type Mode = 'ok' | 'fail' | 'hang';

/** A local stand-in for the CloudWatch endpoint that records what the SDK puts on the wire. */
export async function startFakeCloudWatch() {
  const received: Received[] = [];
  const events = new EventEmitter();
  let mode: Mode = 'ok';
  let open = 0;
  let maxOpen = 0;
  const server = http.createServer((req, res) => {
    open += 1;
    maxOpen = Math.max(maxOpen, open);
    res.on('close', () => {
      open -= 1;
      events.emit('closed');
    });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      // The SDK gzips PutMetricData bodies above its compression threshold.
      if (req.headers['content-encoding'] === 'gzip') raw = zlib.gunzipSync(raw);
      const rec: Received = {
        target: req.headers['x-amz-target'] as string | undefined,
        contentType: req.headers['content-type'],
        body: JSON.parse(raw.toString('utf8')) as Received['body'],
      };
      received.push(rec);
      events.emit('request', rec);
      if (mode === 'hang') return;
      const headers = { 'content-type': 'application/x-amz-json-1.0' };
      if (mode === 'fail') {
        res.writeHead(500, headers).end(JSON.stringify({ __type: 'InternalServiceError', message: 'test outage' }));
        return;
      }
      res.writeHead(200, headers).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    events,
    setMode: (m: Mode) => void (mode = m),
    open: () => open,
    maxOpen: () => maxOpen,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** The environment that makes a bundled node publish its metrics every second to the fake at `url`. */
export function publishingTo(url: string): NodeJS.ProcessEnv {
  return {
    METRICS_ENABLED: 'true',
    METRICS_INTERVAL_MS: '1000',
    CLOUDWATCH_ENDPOINT: url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret',
  };
}
