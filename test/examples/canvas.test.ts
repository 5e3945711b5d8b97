import { describe, expect, it } from 'vitest';
import type { Stroke } from '../../examples/canvas/index';
import { type AppClient, useChromium, useExample, openAppClient, openExamplePage, openOnAnotherNode, openPagesOnTwoNodes } from './helpers';

const RATE = 100;
const SECONDS = 2;

/** Stroke `i` of a run: each one different, so that a lost, doubled or reordered one shows. */
const stroke = (i: number, color = '#2f5bd3'): Stroke => ({ x0: i / 1000, y0: 0.5, x1: (i + 1) / 1000, y1: 0.25, color, width: 3 });

/** Emits `strokes` without acks, one every 1000/RATE ms from the first, as a pointer moving across a canvas does. */
async function draw(client: AppClient, strokes: Stroke[]): Promise<void> {
  const start = performance.now();
  for (const [i, s] of strokes.entries()) {
    client.socket.emit('draw', s);
    const due = start + ((i + 1) * 1000) / RATE - performance.now();
    if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
  }
}

const draws = (client: AppClient) => client.events.filter((e) => e.event === 'draw').map((e) => e.args[0]);

describe('examples/canvas on two nodes behind HAProxy, with the default limits', () => {
  const example = useExample('canvas');

  const title =
    `a client drawing ${RATE} strokes a second for ${SECONDS} s on one node: the other node's client gets every one, ` +
    'in order, no one is disconnected, and a client arriving later gets the whole drawing';
  it(title, { timeout: 60_000 }, async () => {
    const drawer = await openAppClient(example.cluster.url);
    const viewer = await openOnAnotherNode(example.cluster, [drawer]);
    // Both start from the (empty) drawing.
    expect(await drawer.next('drawing')).toEqual([[]]);
    expect(await viewer.next('drawing')).toEqual([[]]);
    const disconnects: string[] = [];
    for (const c of [drawer, viewer]) c.socket.on('disconnect', (reason) => disconnects.push(`${c.session.node}: ${reason}`));

    const strokes = Array.from({ length: RATE * SECONDS }, (_, i) => stroke(i));
    await draw(drawer, strokes);
    const last = JSON.stringify(strokes.at(-1));
    await viewer.next('draw', (s) => JSON.stringify(s) === last, 20_000);
    expect(draws(viewer)).toEqual(strokes);
    // The drawer is not sent its own strokes, and neither client was cut off or told of a close.
    expect(draws(drawer)).toEqual([]);
    expect(disconnects).toEqual([]);
    expect([drawer, viewer].map((c) => [c.socket.connected, c.count('sys:session'), c.count('sys:disconnect')])).toEqual([
      [true, 1, 0],
      [true, 1, 0],
    ]);

    const late = await openAppClient(example.cluster.nodes.find((n) => n.nodeId === drawer.session.node)!.url);
    expect(await late.next('drawing')).toEqual([strokes]);
  });

  it('drops what is not a stroke, and clears the drawing for everyone', async () => {
    const drawer = await openAppClient(example.cluster.url);
    const viewer = await openOnAnotherNode(example.cluster, [drawer]);
    await viewer.next('drawing');
    for (const bad of [{ ...stroke(1), x0: 2 }, { ...stroke(1), color: 'red' }, { ...stroke(1), width: 500 }, 'a line', null])
      drawer.socket.emit('draw', bad);
    const good = stroke(7, '#c0ffee');
    drawer.socket.emit('draw', good);
    await viewer.next('draw', (s) => (s as Stroke).color === '#c0ffee');
    expect(draws(viewer)).toEqual([good]);

    drawer.socket.emit('clear');
    await viewer.next('clear');
    const late = await openAppClient(example.cluster.url);
    expect(await late.next('drawing')).toEqual([[]]);
  });

  // After the clear above: the drawing starts empty.
  describe('in Chromium, two pages on two nodes', () => {
    const chromium = useChromium();

    it('what the mouse draws on one page, the other page receives stroke for stroke, and a page opened later shows it', async () => {
      const [a, b] = await openPagesOnTwoNodes(chromium.browser, example.cluster.url, chromium.problems);
      const box = (await a.page.locator('#board').boundingBox())!;
      await a.page.mouse.move(box.x + 20, box.y + 20);
      await a.page.mouse.down();
      await a.page.mouse.move(box.x + box.width - 20, box.y + box.height - 20, { steps: 60 });
      await a.page.mouse.up();
      const sent = Number(await a.page.locator('#board').getAttribute('data-sent'));
      expect(sent).toBeGreaterThanOrEqual(60);
      await b.page.locator(`#board[data-strokes="${sent}"]`).waitFor();
      const later = await openExamplePage(chromium.browser, example.cluster.url, chromium.problems);
      await later.page.locator(`#board[data-drawing="${sent}"]`).waitFor();
      expect(chromium.problems).toEqual([]);
    });
  });
});
