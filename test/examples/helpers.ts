import { type Browser, chromium, type Page } from 'playwright-core';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { SessionInfo } from '../../contract/app';
import { type LocalCluster } from '../../local/local-cluster';
import { type ClientOptions, BROWSER_LIKE } from '../helpers/clients';
import { requireBinary } from '../../tools/processes';
import { startClusterBehindHaproxy } from '../helpers/cluster';

const CHROMIUM = '/usr/bin/chromium';

/** A cluster of `nodes` bundled nodes running `examples/<name>` on their own redis-server, behind HAProxy (its `url`). */
export async function startExample(name: string, opts: { nodes?: number; env?: NodeJS.ProcessEnv } = {}): Promise<LocalCluster> {
  return startClusterBehindHaproxy({ nodes: opts.nodes, app: `examples/${name}`, env: opts.env });
}

/**
 * The suite's cluster running `examples/<name>`: started before the suite's tests, its clients closed after each test,
 * stopped after the last one.
 */
export function useExample(name: string, opts: { env?: NodeJS.ProcessEnv } = {}): { readonly cluster: LocalCluster } {
  let cluster: LocalCluster | undefined;
  beforeAll(async () => {
    cluster = await startExample(name, opts);
  });
  afterEach(() => closeAppClients());
  afterAll(async () => {
    closeAppClients();
    await cluster?.stop();
  });
  return {
    get cluster() {
      return cluster!;
    },
  };
}

/**
 * A socket.io-client socket as an example's own page uses it, keeping every event the server sent (the platform's
 * `sys:` ones included) so that a test can wait for one that has come or is still to come.
 */
export interface AppClient {
  readonly socket: Socket;
  /** Every event received, in order, with its arguments. */
  readonly events: Array<{ readonly event: string; readonly args: unknown[] }>;
  /** The platform's latest `sys:session`: which node holds the connection. */
  readonly session: SessionInfo;
  /** The arguments of the first `event` (received or still to come) for which `match` holds. */
  next(event: string, match?: (...args: unknown[]) => boolean, timeoutMs?: number): Promise<unknown[]>;
  /** How many `event`s have arrived so far. */
  count(event: string): number;
}

const opened: Socket[] = [];

/**
 * Connects as a browser does (long-polling, then the upgrade, keeping the load balancer's sticky cookie) and
 * resolves at the platform's `sys:session`; rejects on a connect_error.
 */
export async function openAppClient(url: string, opts: ClientOptions = {}): Promise<AppClient> {
  const socket = connect(url, { ...BROWSER_LIKE, reconnectionDelay: 100, reconnectionDelayMax: 500, forceNew: true, ...opts });
  opened.push(socket);
  const events: AppClient['events'] = [];
  const waiting = new Set<() => void>();
  socket.onAny((event: string, ...args: unknown[]) => {
    events.push({ event, args });
    for (const check of [...waiting]) check();
  });
  const next: AppClient['next'] = (event, match = () => true, timeoutMs = 10_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = events.find((e) => e.event === event && match(...e.args));
        if (!found) return;
        waiting.delete(check);
        clearTimeout(timer);
        resolve(found.args);
      };
      const timer = setTimeout(() => {
        waiting.delete(check);
        reject(new Error(`no matching ${event} from ${url} within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => e.event))}`));
      }, timeoutMs);
      waiting.add(check);
      check();
    });
  await Promise.race([
    next('sys:session', () => true, 15_000),
    new Promise((_, reject) => socket.once('connect_error', (err) => reject(new Error(`connect_error from ${url}: ${err.message}`)))),
  ]);
  return {
    socket,
    events,
    get session() {
      return events.findLast((e) => e.event === 'sys:session')!.args[0] as SessionInfo;
    },
    next,
    count: (event) => events.filter((e) => e.event === event).length,
  };
}

/**
 * A client through the load balancer that a node other than those of `others` holds: new sessions go round robin,
 * so this takes a try or two; the clients that landed elsewhere are closed.
 */
export async function openOnAnotherNode(cluster: LocalCluster, others: AppClient[], opts: ClientOptions = {}): Promise<AppClient> {
  const taken = new Set(others.map((c) => c.session.node));
  for (let i = 0; i < 2 * cluster.nodes.length; i++) {
    const client = await openAppClient(cluster.url, opts);
    if (!taken.has(client.session.node)) return client;
    client.socket.disconnect();
  }
  throw new Error(`no new session through ${cluster.url} landed outside ${[...taken].join(', ')}`);
}

/** Disconnects every client opened since the last call: an afterEach of every suite that opens clients. */
export function closeAppClients(): void {
  for (const s of opened.splice(0)) s.disconnect();
}

/** Headless Chromium (fails, never skips, without it). */
export async function launchChromium(): Promise<Browser> {
  requireBinary(CHROMIUM, 'apt-get install chromium');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Chromium for the suite, and the problems (script errors, failed requests) its pages report; closed after the suite. */
export function useChromium(): { readonly browser: Browser; readonly problems: string[] } {
  let browser: Browser | undefined;
  const problems: string[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    get browser() {
      return browser!;
    },
    problems,
  };
}

/**
 * An example's page in a browser context of its own (its own sticky cookie and storage), once it shows the node it is
 * connected to; script errors, console errors and failed requests go to `problems`.
 */
export async function openExamplePage(browser: Browser, url: string, problems: string[], opts: PageOptions = {}): Promise<ExamplePage> {
  const page = await (await browser.newContext()).newPage();
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => msg.type() === 'error' && problems.push(`console: ${msg.text()}`));
  page.on('response', (res) => res.status() >= 400 && problems.push(`${res.status()} ${res.url()}`));
  await page.goto(url);
  await opts.start?.(page);
  return { page, node: await nodeOf(page) };
}

export interface ExamplePage {
  readonly page: Page;
  /** The node that held the page's connection when it was opened. */
  readonly node: string;
}

export interface PageOptions {
  /** What a user does before the page connects (the private messaging page asks for a name first). */
  readonly start?: (page: Page) => Promise<void>;
}

/** The node the page shows, from the platform's `sys:session`. */
export async function nodeOf(page: Page): Promise<string> {
  await page.locator('#node', { hasText: /^node-\d$/ }).waitFor();
  return (await page.locator('#node').textContent())!;
}

/** Two pages that two different nodes hold: new sessions go round robin, so this takes a try or two. */
export async function openPagesOnTwoNodes(browser: Browser, url: string, problems: string[], opts: PageOptions = {}) {
  const a = await openExamplePage(browser, url, problems, opts);
  for (let i = 0; i < 5; i++) {
    const b = await openExamplePage(browser, url, problems, opts);
    if (b.node !== a.node) return [a, b] as const;
    await b.page.context().close();
  }
  throw new Error(`every page landed on ${a.node}`);
}
