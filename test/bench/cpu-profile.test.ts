import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summarizeProfiles } from '../../bench/cpu-profile';

const dir = mkdtempSync(join(tmpdir(), 'cpu-profile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const frame = (id: number, functionName: string, url: string) => ({ id, callFrame: { functionName, url, lineNumber: 0 } });

describe('cpu-profile', () => {
  it('adds self time by npm package (scoped too) and by function over every profile, and leaves idle out', () => {
    const nodes = [
      frame(1, '(idle)', ''),
      frame(2, 'sendFrame', 'file:///app/node_modules/ws/lib/sender.js'),
      frame(3, 'onmessage', 'file:///app/node_modules/@socket.io/redis-adapter/dist/index.js'),
      frame(4, 'write', 'node:net'),
    ];
    const profile = (samples: number[], timeDeltas: number[]) => JSON.stringify({ nodes, samples, timeDeltas });
    writeFileSync(join(dir, 'a.cpuprofile'), profile([1, 2, 3, 2], [9_000, 2_000, 1_000, 2_000]));
    writeFileSync(join(dir, 'b.cpuprofile'), profile([4, 2], [1_000, 2_000]));
    writeFileSync(join(dir, 'notes.txt'), 'not a profile');
    const s = summarizeProfiles(dir);
    expect(s.totalMs).toBe(8);
    expect(s.byModule.map((m) => [m.name, m.ms])).toEqual([
      ['ws', 6],
      ['@socket.io/redis-adapter', 1],
      ['node:net', 1],
    ]);
    expect(s.byFunction[0]).toMatchObject({ name: 'sendFrame ws:1', ms: 6, share: 0.75 });
  });
});
