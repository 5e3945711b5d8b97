import { hostname } from 'node:os';

/**
 * The node id every log line and message carries: the ECS task id when the task metadata
 * endpoint answers, else host:port.
 */
export async function resolveNodeId(opts: { override?: string; port: number; metadataUri?: string; timeoutMs?: number }): Promise<string> {
  if (opts.override) return opts.override;
  if (opts.metadataUri) {
    try {
      const res = await fetch(`${opts.metadataUri}/task`, { signal: AbortSignal.timeout(opts.timeoutMs ?? 1_000) });
      const body = (await res.json()) as { TaskARN?: unknown };
      if (typeof body.TaskARN === 'string') {
        const id = body.TaskARN.split('/').pop();
        if (id) return id;
      }
    } catch {
      // Fall through: an id from the host is still unique enough to tell nodes apart.
    }
  }
  return `${hostname()}:${opts.port}`;
}
