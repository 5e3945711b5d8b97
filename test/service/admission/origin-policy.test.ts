import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceNode, startServiceNode } from '../../../local/service-node';
import { httpRequest, tryWebSocket } from '../../helpers/abuse';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example.com';
const HANDSHAKE = '/socket.io/?EIO=4&transport=polling';

describe('origins: the allow-list guards every transport, and JSONP is refused', () => {
  let listed: ServiceNode;
  let unlisted: ServiceNode;
  beforeAll(async () => {
    [listed, unlisted] = await Promise.all([
      startServiceNode({ env: { REDIS_URL: '', CORS_ORIGINS: APP } }),
      startServiceNode({ env: { REDIS_URL: '' } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([listed?.stop(), unlisted?.stop()]);
  });

  // Engine.IO answers every refused upgrade with 400.
  it('refuses a WebSocket handshake from a foreign Origin, and accepts a listed one, its own, or none', async () => {
    expect(await tryWebSocket(listed.url, { origin: EVIL })).toBe(400);
    expect(await tryWebSocket(listed.url, { origin: 'null' })).toBe(400);
    expect(await tryWebSocket(listed.url, { origin: APP })).toBe('open');
    expect(await tryWebSocket(listed.url, { origin: listed.url })).toBe('open');
    // Clients that are not browsers send no Origin; the token is what admits them.
    expect(await tryWebSocket(listed.url)).toBe('open');
  });

  it('refuses a polling handshake from a foreign Origin, and answers a listed one with CORS headers', async () => {
    const evil = await httpRequest(`${listed.url}${HANDSHAKE}`, { headers: { origin: EVIL } });
    expect(evil.status).toBe(403);
    expect(evil.body).toContain('origin_not_allowed');
    const ok = await httpRequest(`${listed.url}${HANDSHAKE}`, { headers: { origin: APP } });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(APP);
  });

  it('refuses JSONP polling, whose handshake a foreign page could read through a script tag', async () => {
    const jsonp = await httpRequest(`${listed.url}${HANDSHAKE}&j=0`, { headers: { referer: `${EVIL}/page` } });
    expect(jsonp.status).toBe(403);
    expect(jsonp.body).not.toContain('"sid"');
    expect((await httpRequest(`${unlisted.url}${HANDSHAKE}&j=0`)).status).toBe(403);
  });

  it('without CORS_ORIGINS, admits only its own origin (and clients without one)', async () => {
    expect(await tryWebSocket(unlisted.url, { origin: EVIL })).toBe(400);
    expect(await tryWebSocket(unlisted.url, { origin: unlisted.url })).toBe('open');
    expect(await tryWebSocket(unlisted.url)).toBe('open');
    expect((await httpRequest(`${unlisted.url}${HANDSHAKE}`, { headers: { origin: EVIL } })).status).toBe(403);
  });
});
