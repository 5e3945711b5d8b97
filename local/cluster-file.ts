import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { CliError, EXIT } from '../tools/cli';
import { isAlive } from '../tools/processes';

/**
 * What a running local cluster tells the tools that act on it (`npm run stop-task`, a second
 * `npm start`): which process runs it, where HAProxy's runtime API is, which process serves each
 * node, and the deregistration delay that fits the nodes' drain. One file per load-balancer port,
 * in $TMPDIR, removed by the cluster that wrote it when it stops.
 */
export const clusterFileSchema = z.object({
  /** The process that started the cluster (npm start's): SIGTERM stops the whole cluster. */
  pid: z.number().int().positive(),
  loadBalancerPort: z.number().int(),
  statsSocket: z.string().min(1),
  deregistrationDelayMs: z.number().int().nonnegative(),
  nodes: z.array(z.object({ name: z.string().min(1), port: z.number().int(), pid: z.number().int().positive() })),
});
export type ClusterFile = z.infer<typeof clusterFileSchema>;

const FILE_NAME = /^socketio-local-cluster-(\d+)\.json$/;

export const clusterFilePath = (loadBalancerPort: number, dir = tmpdir()) => join(dir, `socketio-local-cluster-${loadBalancerPort}.json`);

export function writeClusterFile(file: ClusterFile, dir = tmpdir()): void {
  writeFileSync(clusterFilePath(file.loadBalancerPort, dir), `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
}

export function removeClusterFile(loadBalancerPort: number, dir = tmpdir()): void {
  rmSync(clusterFilePath(loadBalancerPort, dir), { force: true });
}

/**
 * The cluster on `loadBalancerPort`, or undefined when none has written its file; a file this
 * version cannot read (an older version's, a damaged one) is a CliError saying what to do.
 */
export function readClusterFile(loadBalancerPort: number, dir = tmpdir()): ClusterFile | undefined {
  const path = clusterFilePath(loadBalancerPort, dir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const unreadable = (why: string) =>
    new CliError(
      `${path} is not a cluster file this version reads (${why}): stop the cluster that wrote it, or remove the file`,
      EXIT.config,
    );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw unreadable((err as Error).message);
  }
  const parsed = clusterFileSchema.safeParse(json);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw unreadable(`${issue.path.join('.') || 'the file'}: ${issue.message}`);
  }
  return parsed.data;
}

/** The clusters whose files are in `dir` and whose process still runs, by load-balancer port; unreadable files are left out. */
export function liveClusters(dir = tmpdir()): ClusterFile[] {
  const ports = readdirSync(dir).flatMap((name) => {
    const m = FILE_NAME.exec(name);
    return m ? [Number(m[1])] : [];
  });
  return ports
    .flatMap((port) => {
      try {
        const file = readClusterFile(port, dir);
        return file && isAlive(file.pid) ? [file] : [];
      } catch {
        return [];
      }
    })
    .sort((a, b) => a.loadBalancerPort - b.loadBalancerPort);
}
