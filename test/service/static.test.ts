import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceNode, startServiceNode } from '../../local/service-node';

/** A raw request, so that paths reach the server exactly as written (fetch would normalise `..`). */
function get(
  port: number,
  path: string,
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe("demo page (the chat's http export) and the Socket.IO client, served by the bundled node", () => {
  let node: ServiceNode;
  beforeAll(async () => {
    // No Redis: static files do not depend on it.
    node = await startServiceNode({});
  });
  afterAll(async () => node?.stop());

  it.each([
    ['/', 'text/html; charset=utf-8', /<script src="\/app.js"/],
    ['/?room=lobby', 'text/html; charset=utf-8', /<title>/],
    ['/app.js', 'text/javascript; charset=utf-8', /io\(\{ withCredentials: true, auth: /],
    ['/style.css', 'text/css; charset=utf-8', /#messages/],
  ])('%s is %s with a strict CSP and nosniff', async (path, type, content) => {
    const res = await get(node.port, path);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBeTruthy();
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self' ws: wss:");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(res.body).toMatch(content);
  });

  it.each(['/socket.io/socket.io.min.js', '/socket.io/socket.io.js'])(
    '%s is the browser client, where a stock Socket.IO server serves it, cached and nosniff',
    async (path) => {
      const res = await get(node.port, path);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['cache-control']).toBe('public, max-age=3600');
      expect(res.body).toMatch(/Socket\.IO v4\.8\.4/);
    },
  );

  it('has no inline script or handler that the CSP would block', async () => {
    const html = (await get(node.port, '/')).body;
    expect(html).toContain('<script src="/socket.io/socket.io.min.js"');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/<style/);
    expect((await get(node.port, '/app.js')).body).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });

  it('answers HEAD without a body and other methods with 405', async () => {
    const head = await get(node.port, '/app.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    const post = await get(node.port, '/app.js', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it.each([
    '/nope.js',
    // The client moved under /socket.io/, where a stock server serves it.
    '/socket.io.min.js',
    '/public/app.js',
    '/../package.json',
    '/..%2f..%2fpackage.json',
    '/%2e%2e/%2e%2e/package.json',
    '/server.js',
    '/server.js.map',
    '/app.js/',
    '//etc/passwd',
    '/index.html/../../../../etc/passwd',
  ])('%s is 404 and serves no file', async (path) => {
    const res = await get(node.port, path);
    expect(res.status).toBe(404);
    // The chat's own 404 (the platform hands it every path it does not serve).
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe('not found\n');
  });

  it('leaves the health endpoints alone', async () => {
    const health = await get(node.port, '/healthz');
    expect(health.status).toBe(200);
    expect(health.headers['content-type']).toBe('application/json');
  });
});
