// Bench-only, never in the service bundle: preloaded into every server process the bench starts
// (`node --expose-gc --require bench/heap-probe.cjs …`). On SIGUSR2 it runs full GCs and writes
// one line to stderr, `heap-probe {json}`, with process.memoryUsage(): heap bytes that outlive a
// GC are what a connection really holds, unlike RSS, which depends on which pages were already
// mapped (a source map loaded at start-up made the same bundle 10 or 30 KB/conn).
// With HEAP_PROBE_SNAPSHOTS=<dir> it also writes a heap snapshot there and names it in the line.
'use strict';
const { writeHeapSnapshot } = require('node:v8');
const { join } = require('node:path');

const MARK = 'heap-probe ';
let taken = 0;

process.on('SIGUSR2', () => {
  const gc = globalThis.gc;
  if (gc) gc();
  // A second GC after the first one's weak callbacks and finalizers ran (external buffers freed).
  setImmediate(() => {
    if (gc) gc();
    const m = process.memoryUsage();
    const dir = process.env.HEAP_PROBE_SNAPSHOTS;
    const snapshot = dir ? writeHeapSnapshot(join(dir, `${process.pid}-${++taken}.heapsnapshot`)) : undefined;
    const line = { gc: Boolean(gc), heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss, snapshot };
    process.stderr.write(MARK + JSON.stringify(line) + '\n');
  });
});
