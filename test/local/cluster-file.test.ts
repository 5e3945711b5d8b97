import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ClusterFile, clusterFilePath, liveClusters, readClusterFile, writeClusterFile } from '../../local/cluster-file';
import { CliError } from '../../tools/cli';

const dir = mkdtempSync(join(tmpdir(), 'cluster-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cluster = (port: number, pid: number): ClusterFile => ({
  pid,
  loadBalancerPort: port,
  statsSocket: join(dir, 'admin.sock'),
  deregistrationDelayMs: 17_000,
  nodes: [{ name: 'node-1', port: port + 1, pid }],
});

describe('cluster files', () => {
  it('reads back what was written, and nothing for a port without a file', () => {
    writeClusterFile(cluster(18080, process.pid), dir);
    expect(readClusterFile(18080, dir)).toEqual(cluster(18080, process.pid));
    expect(readClusterFile(18090, dir)).toBeUndefined();
  });

  it('refuses a file it cannot read in one line naming the file and what to do', () => {
    writeFileSync(clusterFilePath(18100, dir), JSON.stringify({ ...cluster(18100, 1), pid: undefined }));
    const attempt = () => readClusterFile(18100, dir);
    expect(attempt).toThrow(CliError);
    expect(attempt).toThrow(
      `${clusterFilePath(18100, dir)} is not a cluster file this version reads ` +
        '(pid: Invalid input: expected number, received undefined): stop the cluster that wrote it, or remove the file',
    );
    writeFileSync(clusterFilePath(18110, dir), '{');
    expect(() => readClusterFile(18110, dir)).toThrow(/cluster-files-.*18110\.json is not a cluster file this version reads \(.*JSON/);
  });

  it('lists the clusters whose process runs, by port, leaving out dead and unreadable ones', () => {
    const own = mkdtempSync(join(dir, 'live-'));
    writeClusterFile(cluster(18080, process.pid), own);
    writeClusterFile(cluster(18070, process.pid), own);
    writeClusterFile(cluster(18060, 2 ** 22 + 1), own);
    writeFileSync(clusterFilePath(18050, own), '{');
    writeFileSync(join(own, 'socketio-local-cluster-notes.txt'), 'not a cluster file');
    expect(liveClusters(own).map((c) => c.loadBalancerPort)).toEqual([18070, 18080]);
  });
});
