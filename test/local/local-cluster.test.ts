import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterFilePath, removeClusterFile, writeClusterFile } from '../../local/cluster-file';
import { startLocalCluster } from '../../local/local-cluster';
import { freePorts } from '../helpers/ports';

describe('startLocalCluster on a load-balancer port another cluster holds', () => {
  const held: { port?: number; close?: () => void } = {};
  afterAll(() => {
    held.close?.();
    if (held.port !== undefined) removeClusterFile(held.port);
  });

  it("fails, and leaves the other cluster's file where it was", { timeout: 60_000 }, async () => {
    const [lb, node] = await freePorts(2);
    held.port = lb;
    // The other cluster: its file, and its load balancer's port (held here by a plain listener, which HAProxy cannot share).
    writeClusterFile({ pid: process.pid, loadBalancerPort: lb, statsSocket: '/nonexistent.sock', deregistrationDelayMs: 1_000, nodes: [] });
    const before = readFileSync(clusterFilePath(lb), 'utf8');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(lb, '127.0.0.1', resolve));
    held.close = () => server.close();

    await expect(startLocalCluster({ ports: [node], loadBalancerPort: lb })).rejects.toThrow(/haproxy exited .* before it was ready/);
    expect(readFileSync(clusterFilePath(lb), 'utf8')).toBe(before);
  });
});
