import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_HEADERS_TIMEOUT_MS, DEFAULT_HTTP_KEEP_ALIVE_TIMEOUT_MS } from '../../contract/env';
import { LOAD_BALANCER_DEFAULTS } from '../../infra/load-balancer';
import { haproxyBinary, haproxyConfig, LB_COOKIE, startHaproxy } from '../../local/haproxy';
import { setServerState } from '../../local/haproxy-runtime';
import { startLocalCluster } from '../../local/local-cluster';
import { freePort, freePorts, waitFor } from '../../tools/processes';

const nodes = [
  { name: 'node-1', port: 8081 },
  { name: 'node-2', port: 8082 },
  { name: 'node-3', port: 8083 },
];
const directives = (cfg: string) =>
  cfg
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

describe('haproxyConfig', () => {
  const cfg = haproxyConfig({ port: 8080, nodes, statsSocket: '/tmp/siolb-test/admin.sock' });
  const lines = directives(cfg);

  it('inserts a sticky, httponly cookie with one fixed value per node, idle for as long as the ALB lb_cookie lives', () => {
    // The ALB resets its cookie's expiry after every request: HAProxy's maxidle, not maxlife.
    expect(lines).toContain(
      `cookie ${LB_COOKIE} insert indirect nocache httponly maxidle ${LOAD_BALANCER_DEFAULTS.stickinessDuration.toSeconds()}s`,
    );
    expect(LOAD_BALANCER_DEFAULTS.stickinessDuration.toSeconds()).toBe(345);
    expect(directives(haproxyConfig({ port: 8080, nodes, stickinessMs: 8_000 }))).toContainEqual(expect.stringMatching(/ maxidle 8s$/));
    expect(cfg).not.toMatch(/\bdynamic\b/);
    expect(lines).toContain('server node-1 127.0.0.1:8081 cookie node-1');
    expect(lines).toContain('server node-2 127.0.0.1:8082 cookie node-2');
    expect(lines).toContain('server node-3 127.0.0.1:8083 cookie node-3');
  });

  it('health-checks /readyz every second, down after 2 failures, up after 1 success', () => {
    expect(lines).toContain('option httpchk GET /readyz');
    expect(lines).toContain('http-check expect status 200');
    expect(lines).toContainEqual(expect.stringMatching(/^default-server check inter 1000ms fall 2 rise 1\b/));
  });

  it('keeps WebSockets and long polls open longer than Socket.IO heartbeats need', () => {
    const seconds = (name: string) => {
      const m = lines.find((l) => l.startsWith(`timeout ${name} `))?.match(/ (\d+)(ms|s|m|h)$/);
      expect(m, `timeout ${name}`).toBeTruthy();
      return Number(m![1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m![2] as 'ms' | 's' | 'm' | 'h'];
    };
    expect(seconds('tunnel')).toBeGreaterThanOrEqual(3600);
    // pingInterval 25 s + pingTimeout 20 s.
    expect(seconds('client')).toBeGreaterThan(45);
    expect(seconds('server')).toBeGreaterThan(45);
    expect(seconds('http-request')).toBeGreaterThan(0);
  });

  it('spreads new sessions, redispatches away from dead nodes, and keeps connections alive', () => {
    expect(lines).toContain('balance roundrobin');
    expect(lines).toContain('option redispatch 1');
    expect(lines).toContainEqual(expect.stringMatching(/^retries [1-9]$/));
    expect(lines).toContain('http-reuse always');
    expect(lines).not.toContain('option http-server-close');
    expect(lines).not.toContain('option httpclose');
    expect(lines).toContain('bind 127.0.0.1:8080');
    expect(lines).toContain('stats socket /tmp/siolb-test/admin.sock mode 600 level admin');
  });

  it('rejects input that would not be one directive', () => {
    expect(() => haproxyConfig({ port: 8080, nodes: [{ name: 'a b', port: 1 }] })).toThrow(/node name/);
    expect(() => haproxyConfig({ port: 8080, nodes: [{ name: 'x\n  server evil', port: 1 }] })).toThrow(/node name/);
    expect(() => haproxyConfig({ port: 8080, nodes: [] })).toThrow(/at least one/);
    expect(() => haproxyConfig({ port: 70000, nodes })).toThrow(/port/);
    expect(() => haproxyConfig({ port: 8080, nodes: [nodes[0], nodes[0]] })).toThrow(/unique/);
    expect(() => haproxyConfig({ port: 8080, nodes, statsSocket: 'rel/path' })).toThrow(/stats socket/);
    expect(() => haproxyConfig({ port: 8080, nodes, stickinessMs: 500 })).toThrow(
      /stickinessMs must be a whole number of seconds, at least 1000/,
    );
  });

  describe('accepted by haproxy -c', () => {
    const dir = mkdtempSync(join(tmpdir(), 'siolb-test-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('without warnings', () => {
      const bin = haproxyBinary();
      const file = join(dir, 'haproxy.cfg');
      writeFileSync(file, haproxyConfig({ port: 8080, nodes, statsSocket: join(dir, 'admin.sock') }));
      const res = spawnSync(bin, ['-c', '-f', file], { encoding: 'utf8' });
      const output = `${res.stdout}${res.stderr}`;
      expect(res.status, output).toBe(0);
      expect(output).not.toMatch(/WARNING|ALERT/);
    });
  });
});

describe('HAProxy reuses its connections to a node as the ALB does', () => {
  it("sends a new client's request, 7 s after the last, on the idle connection the previous one used", { timeout: 30_000 }, async () => {
    // A node with the service's keep-alive timeouts, telling which of its connections each request came on.
    const backend = http.createServer((req, res) => res.end(req.url === '/probe' ? String(req.socket.remotePort) : 'ok'));
    backend.keepAliveTimeout = DEFAULT_HTTP_KEEP_ALIVE_TIMEOUT_MS;
    backend.headersTimeout = DEFAULT_HTTP_HEADERS_TIMEOUT_MS;
    backend.listen(0, '127.0.0.1');
    await once(backend, 'listening');
    const lb = await startHaproxy({ port: await freePort(), nodes: [{ name: 'node-1', port: (backend.address() as AddressInfo).port }] });
    // Each request from a client connection of its own, as many browsers' requests reach one ALB.
    const probe = async () => (await fetch(`${lb.url}/probe`, { headers: { connection: 'close' } })).text();
    try {
      const first = await probe();
      // Idle longer than Node's default keep-alive timeout (5 s), after which the old nodes closed the connection.
      await new Promise((resolve) => setTimeout(resolve, 7_000));
      expect(await probe()).toBe(first);
    } finally {
      await lb.stop();
      backend.closeAllConnections();
      backend.close();
    }
  });
});

/** A browser as the load balancer sees it: one cookie store, and Engine.IO handshakes over long-polling. */
function browser(url: string) {
  // Every cookie the answers set, by name: the stickiness cookie and the session key a request naming its session must bring.
  const jar = new Map<string, string>();
  const header = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  const b = {
    /** The stickiness cookie, as sent. */
    get cookie() {
      return jar.has(LB_COOKIE) ? `${LB_COOKIE}=${jar.get(LB_COOKIE)}` : '';
    },
    /** The node the cookie names: where the latest session lives. */
    get node() {
      return nodeOf(b.cookie);
    },
    /** Connects again, as a page does after a network drop or a reload, and checks that the session works on its node. */
    async connect(): Promise<void> {
      const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, { headers: jar.size > 0 ? { cookie: header() } : {} });
      expect(res.status).toBe(200);
      const { sid } = JSON.parse((await res.text()).slice(1)) as { sid: string };
      // No Set-Cookie when the one sent is honoured and fresh.
      for (const set of res.headers.getSetCookie()) {
        const [name, value] = set.split(';')[0].split('=');
        jar.set(name, value);
      }
      const post = await fetch(`${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
        method: 'POST',
        body: '40',
        headers: { cookie: header(), 'content-type': 'text/plain;charset=UTF-8' },
      });
      expect(await post.text()).toBe('ok');
    },
  };
  return b;
}
const nodeOf = (cookie: string) => /^[^=]+=([^|;]+)/.exec(cookie)?.[1] ?? '';

describe('HAProxy spreads reconnects after a scale-out, as the ALB does with its stickiness lifetime', () => {
  it(
    'sends reconnects within the cookie lifetime back to their node, and after it by round robin, which reaches the added node',
    { timeout: 90_000 },
    async () => {
      const cluster = await startLocalCluster({ ports: await freePorts(3) });
      const lifetimeMs = 10_000;
      const nodes = cluster.nodes.map((n) => ({ name: n.nodeId, port: n.port }));
      const lb = await startHaproxy({ port: await freePort(), nodes, stickinessMs: lifetimeMs }).catch(async (err: unknown) => {
        await cluster.stop();
        throw err;
      });
      try {
        // node-3 is the task a scale-out adds: out of rotation while the clients first connect.
        await setServerState(lb.statsSocket, 'node-3', 'maint');
        const browsers = Array.from({ length: 6 }, () => browser(lb.url));
        for (const b of browsers) await b.connect();
        expect([...new Set(browsers.map((b) => b.node))].sort()).toEqual(['node-1', 'node-2']);

        await setServerState(lb.statsSocket, 'node-3', 'ready');
        await waitFor(
          () => lb.serverStates(),
          (states) => states['node-3']?.status === 'UP',
        );
        const before = browsers.map((b) => b.node);
        for (const b of browsers) await b.connect();
        expect(browsers.map((b) => b.node)).toEqual(before);

        // Each cookie's lifetime runs from its last request. A copy of the newest, whose answer is
        // thrown away, tells when HAProxy stops honouring cookies that old: then a request goes to
        // another node than the cookie names.
        const newest = browsers.at(-1)!.cookie;
        const probe = async () => (await (await fetch(`${lb.url}/healthz`, { headers: { cookie: newest } })).json()) as { node: string };
        await waitFor(probe, ({ node }) => node !== nodeOf(newest), lifetimeMs + 20_000, 500);

        for (const b of browsers) await b.connect();
        expect(browsers.filter((b) => b.node === 'node-3').length).toBeGreaterThan(0);
      } finally {
        await lb.stop();
        await cluster.stop();
      }
    },
  );
});
