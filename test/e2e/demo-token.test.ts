import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../tools/processes';
import { type ServiceNode, startServiceNode } from '../../local/service-node';
import { JWT_ENV, signToken } from '../helpers/abuse';

const CHROMIUM = '/usr/bin/chromium';

describe('e2e: the demo page takes the token from the URL and removes it', () => {
  let node: ServiceNode;
  let browser: Browser;
  beforeAll(async () => {
    requireBinary(CHROMIUM, 'apt-get install chromium');
    node = await startServiceNode({ env: { REDIS_URL: '', ...JWT_ENV } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  });
  afterAll(async () => {
    await browser?.close();
    await node?.stop();
  });

  it('connects as the token’s user, leaves no token in the address bar or history, and stays signed in on reload', async () => {
    const token = await signToken({ sub: 'page-user' });
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${node.url}/?room=lobby#token=${token}`);
    await page.locator('#status[data-state="connected"]').waitFor();
    expect(await page.locator('#user').textContent()).toBe('page-user');
    const url = await page.evaluate(() => window.location.href);
    expect(url).toBe(`${node.url}/?room=lobby`);
    // The entry was replaced, not followed by a clean one: going back leaves the page instead of finding the token.
    await page.goBack();
    expect(page.url()).toBe('about:blank');
    await page.goForward();
    expect(page.url()).toBe(`${node.url}/?room=lobby`);
    // Kept for this tab only, so that a reload still connects.
    await page.reload();
    await page.locator('#status[data-state="connected"]').waitFor();
    expect(await page.locator('#user').textContent()).toBe('page-user');
  });
});
