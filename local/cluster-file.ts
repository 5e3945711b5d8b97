import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * What a running local cluster tells the tools that act on it (`npm run stop-task`): where
 * HAProxy's runtime API is, which process serves each node, and the deregistration delay that
 * fits the nodes' drain. One file per load-balancer port, removed when the cluster stops.
 */
export const clusterFileSchema = z.object({
  loadBalancerPort: z.number().int(),
  statsSocket: z.string().min(1),
  deregistrationDelayMs: z.number().int().nonnegative(),
  nodes: z.array(z.object({ name: z.string().min(1), port: z.number().int(), pid: z.number().int().positive() })),
});
export type ClusterFile = z.infer<typeof clusterFileSchema>;

export const clusterFilePath = (loadBalancerPort: number) => join(tmpdir(), `socketio-local-cluster-${loadBalancerPort}.json`);

export function writeClusterFile(file: ClusterFile): void {
  writeFileSync(clusterFilePath(file.loadBalancerPort), `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
}

export function removeClusterFile(loadBalancerPort: number): void {
  rmSync(clusterFilePath(loadBalancerPort), { force: true });
}

/** The cluster on `loadBalancerPort`, or undefined when none has written its file. */
export function readClusterFile(loadBalancerPort: number): ClusterFile | undefined {
  let text: string;
  try {
    text = readFileSync(clusterFilePath(loadBalancerPort), 'utf8');
  } catch {
    return undefined;
  }
  return clusterFileSchema.parse(JSON.parse(text));
}
