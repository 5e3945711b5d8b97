import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../tools/processes';
import type { LocalCluster } from '../../local/local-cluster';
import { SESSION_KEY_COOKIE } from '../../service/src/admission/session-binding';
import { startLocalClusterBehindHaproxy } from './helpers';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'artifacts');

describe('e2e: the demo page in Chromium, through the load balancer', () => {
  let cluster: LocalCluster;
  let browser: Browser;
  const problems: string[] = [];
  beforeAll(async () => {
    // Fails (never skips) without it, naming the package.
    requireBinary(CHROMIUM, 'apt-get install chromium');
    cluster = await startLocalClusterBehindHaproxy();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  /** A page in a fresh context (own cookie jar) or the given one, once it shows the node it is connected to. */
  async function openPage(context?: BrowserContext): Promise<{ page: Page; node: string }> {
    const page = await (context ?? (await browser.newContext({ viewport: { width: 900, height: 760 } }))).newPage();
    // Script errors and CSP refusals both end up here.
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => msg.type() === 'error' && problems.push(`console: ${msg.text()}`));
    page.on('response', (res) => res.status() >= 400 && problems.push(`${res.status()} ${res.url()}`));
    await page.goto(cluster.url);
    await page.locator('#status[data-state="connected"]').waitFor();
    const node = (await page.locator('#node').textContent())!;
    expect(node).toMatch(/^node-\d$/);
    return { page, node };
  }

  it('two pages on different nodes join a room and chat, each seeing the other’s node', { timeout: 120_000 }, async () => {
    const a = await openPage();
    let b = await openPage();
    // New sessions are spread round robin, so this takes one or two more tries at most.
    for (let i = 0; i < 5 && b.node === a.node; i++) {
      await b.page.context().close();
      b = await openPage();
    }
    expect(b.node).not.toBe(a.node);

    const room = `browser-${process.pid}`;
    for (const { page } of [a, b]) {
      await page.fill('#room', room);
      await page.click('#join');
      await page.locator('#current-room', { hasText: `In room ${room}` }).waitFor();
    }
    // The first page's count comes from a refresh after the second joined (or its next poll).
    await b.page.locator('#members[data-count="2"]').waitFor();

    const say = async (from: Page, text: string) => {
      await from.fill('#text', text);
      await from.click('#send');
    };
    await say(a.page, 'hello from A');
    const atB = b.page.locator('#messages .message', { hasText: 'hello from A' });
    await atB.waitFor();
    expect(await atB.locator('.via').textContent()).toBe(`via ${a.node}`);
    expect(await atB.getAttribute('class')).not.toContain('mine');

    // Message text is shown as text: markup in it must not become elements.
    await say(b.page, '<img src=x id=injected> hello from B');
    const atA = a.page.locator('#messages .message', { hasText: 'hello from B' });
    await atA.waitFor();
    expect(await atA.locator('.via').textContent()).toBe(`via ${b.node}`);
    expect(await atA.locator('.text').textContent()).toBe('<img src=x id=injected> hello from B');
    expect(await a.page.locator('#injected').count()).toBe(0);
    await a.page.locator('#members[data-count="2"]').waitFor();

    // Each page's own message is marked as such.
    await a.page.locator('#messages .message.mine', { hasText: 'hello from A' }).waitFor();
    // The page upgrades to WebSocket on the node that did its handshake.
    await a.page.locator('#transport', { hasText: 'websocket' }).waitFor();

    // A bad room name is explained in the page's own words, not the browser's "Please match the requested format".
    await a.page.fill('#room', 'team blue');
    await a.page.click('#join');
    await a.page.locator('#error', { hasText: '"team blue" cannot be a room name: use letters, digits and _ . : - only' }).waitFor();
    await a.page.locator('#current-room', { hasText: `In room ${room}` }).waitFor();

    mkdirSync(ARTIFACTS, { recursive: true });
    await a.page.screenshot({ path: join(ARTIFACTS, 'e2e-chat.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it(
    'two tabs of one browser share its session key cookie: each polls, then upgrades, with nothing refused',
    { timeout: 120_000 },
    async () => {
      const context = await browser.newContext();
      const before = problems.length;
      const keysNow = async () => (await context.cookies()).filter((c) => c.name === SESSION_KEY_COOKIE);
      const tabs = [await openPage(context)];
      const first = await keysNow();
      tabs.push(await openPage(context));
      for (const { page } of tabs) await page.locator('#transport', { hasText: 'websocket' }).waitFor();
      // One key for the browser, out of reach of scripts, sent only to Socket.IO; the second tab's handshake brought the first's.
      expect(first).toEqual([expect.objectContaining({ httpOnly: true, sameSite: 'Lax', path: '/socket.io/', secure: false })]);
      expect((await keysNow()).map((c) => c.value)).toEqual([first[0].value]);
      expect(await tabs[0].page.evaluate(() => document.cookie)).not.toContain(SESSION_KEY_COOKIE);
      const room = `tabs-${process.pid}`;
      for (const { page } of tabs) {
        await page.fill('#room', room);
        await page.click('#join');
        await page.locator('#current-room', { hasText: `In room ${room}` }).waitFor();
      }
      await tabs[0].page.fill('#text', 'hello from the first tab');
      await tabs[0].page.click('#send');
      await tabs[1].page.locator('#messages .message', { hasText: 'hello from the first tab' }).waitFor();
      expect(problems.slice(before)).toEqual([]);
      await context.close();
    },
  );
});
