import type { OwnTarget } from './describe-target-health';

/**
 * The task's own target, from the ECS task metadata endpoint v4: the container's IPv4 address
 * (Networks[].IPv4Addresses, awsvpc) and the port it listens on. Fetched until it answers once,
 * then kept: a task's address does not change.
 */
export function ownTargetFromMetadata(metadataUri: string, port: number, timeoutMs: number): () => Promise<OwnTarget> {
  let known: OwnTarget | undefined;
  return async () => {
    if (known) return known;
    const res = await fetch(metadataUri, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`the task metadata endpoint answered ${res.status}`);
    const body = (await res.json()) as { Networks?: Array<{ IPv4Addresses?: unknown[] }> };
    const address = body.Networks?.flatMap((n) => n.IPv4Addresses ?? []).find((a): a is string => typeof a === 'string' && a !== '');
    if (!address) throw new Error('the task metadata has no IPv4 address (Networks[].IPv4Addresses)');
    known = { id: address, port };
    return known;
  };
}
