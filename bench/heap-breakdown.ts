// What one idle connection holds, by constructor: one node of a bench mode, a heap snapshot
// before and after opening K idle sockets (bench/heap-probe.cjs), the growth of each
// constructor's self size divided by K. Self sizes add up to the heap growth, so the rows
// account for the whole figure of the bench's heap column (not for `external`: Buffers' bytes).
//   npx tsx bench/heap-breakdown.ts [--mode single-node|stock|raw-ws|pubsub] [--connections K] [--bundle FILE] [--top N]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { choiceOption, numberOption, parseCommandLine } from '../tools/args';
import { runMain } from '../tools/cli';
import { connectAll, idleSpecs } from './run';
import { QUICK } from './sizes';
import { startServers } from './servers';
import { Workers } from './workers';

const MODES = ['single-node', 'stock', 'raw-ws', 'pubsub'] as const;
const USAGE = `usage: npx tsx bench/heap-breakdown.ts [--mode ${MODES.join('|')}] [--connections K] [--bundle FILE] [--top N]`;

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

export interface Row {
  readonly key: string;
  readonly count: number;
  readonly bytes: number;
}

/** Self size and count per `type:name` (the constructor for objects, the function for closures). */
export function tally(file: string): Map<string, { count: number; bytes: number }> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const named = new Set(['object', 'closure', 'native', 'array']);
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < s.nodes.length; i += fields.length) {
    const type = types[s.nodes[i + typeAt]];
    const key = named.has(type) ? `${type}:${s.strings[s.nodes[i + nameAt]]}` : type;
    const entry = out.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += s.nodes[i + sizeAt];
    out.set(key, entry);
  }
  return out;
}

/** Growth per connection, largest first. */
export function perConnection(before: ReturnType<typeof tally>, after: ReturnType<typeof tally>, k: number): Row[] {
  const rows: Row[] = [];
  for (const [key, a] of after) {
    const b = before.get(key) ?? { count: 0, bytes: 0 };
    rows.push({ key, count: (a.count - b.count) / k, bytes: (a.bytes - b.bytes) / k });
  }
  return rows.sort((x, y) => y.bytes - x.bytes);
}

async function main(): Promise<void> {
  const { values } = parseCommandLine(process.argv.slice(2), {
    mode: { type: 'string' },
    connections: { type: 'string' },
    bundle: { type: 'string' },
    top: { type: 'string' },
  });
  const mode = choiceOption('--mode', values.mode ?? 'single-node', { choices: MODES });
  const k = numberOption('--connections', values.connections, { integer: true, min: 1, default: 1_000 });
  const top = numberOption('--top', values.top, { integer: true, min: 1, default: 25 });
  const dir = mkdtempSync(join(tmpdir(), 'heap-breakdown-'));
  const servers = await startServers(mode, { nodes: 1, bundle: values.bundle, env: { HEAP_PROBE_SNAPSHOTS: dir } });
  const workers = await Workers.start(1);
  try {
    const [before] = await servers.heap();
    const { opened, firstError } = await connectAll(workers, servers, idleSpecs(servers, k), QUICK.connectConcurrency);
    if (opened !== k) throw new Error(`opened ${opened} of ${k} connections: ${firstError ?? 'no error reported'}`);
    await new Promise((r) => setTimeout(r, 1_000));
    const [after] = await servers.heap();
    const rows = perConnection(tally(before.snapshot!), tally(after.snapshot!), k);
    const heapPerConn = (after.heapUsed - before.heapUsed) / k;
    const externalPerConn = (after.external - before.external) / k;
    console.log(
      `${mode}: ${k} idle connections; per connection heapUsed +${heapPerConn.toFixed(0)} B, external +${externalPerConn.toFixed(0)} B`,
    );
    console.log(`snapshot self size, per connection: ${rows.reduce((s, r) => s + r.bytes, 0).toFixed(0)} B`);
    for (const r of rows.slice(0, top)) console.log(`${r.bytes.toFixed(0).padStart(7)} B  ${r.count.toFixed(2).padStart(6)}x  ${r.key}`);
  } finally {
    await workers.all(() => ({ type: 'close' })).catch(() => undefined);
    await workers.stop();
    await servers.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) runMain({ name: 'heap-breakdown', usage: USAGE }, main);
