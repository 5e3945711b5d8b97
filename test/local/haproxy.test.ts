import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_HEADERS_TIMEOUT_MS, DEFAULT_HTTP_KEEP_ALIVE_TIMEOUT_MS } from '../../contract/env';
import { haproxyBinary, haproxyConfig, LB_COOKIE, startHaproxy } from '../../local/haproxy';
import { freePort } from '../../tools/processes';

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

  it('inserts a sticky, httponly cookie with one fixed value per node, as the ALB lb_cookie', () => {
    expect(lines).toContain(`cookie ${LB_COOKIE} insert indirect nocache httponly`);
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
