// `npm start`: a local cluster of service nodes on one Redis, behind HAProxy in the ALB's place.
import { parseArgs } from 'node:util';
import { type LocalCluster, startCluster } from '../local/cluster';
import { MissingBinaryError } from '../local/processes';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '3' },
      port: { type: 'string', default: '8080' },
      verbose: { type: 'boolean', default: false },
    },
  });
  const nodes = Number(values.nodes);
  const port = Number(values.port);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 16) throw new UsageError('--nodes must be an integer from 1 to 16');
  if (!Number.isInteger(port) || port < 1 || port + nodes > 65535) throw new UsageError('--port must leave room for the nodes below 65536');

  // Handlers go in first: a signal while the cluster starts must still stop what has started.
  let stopping = false;
  let cluster: LocalCluster | undefined = undefined;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('stopping…\n');
    // Still starting: the code after startCluster sees `stopping` and stops it.
    if (!cluster) return;
    await cluster.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  cluster = await startCluster({
    ports: Array.from({ length: nodes }, (_, i) => port + 1 + i),
    loadBalancerPort: port,
    redisUrl: process.env.REDIS_URL || undefined,
    onLog: values.verbose ? (id, line) => process.stdout.write(`[${id}] ${line}\n`) : undefined,
  });
  if (stopping) {
    await cluster.stop();
    process.exit(0);
  }
  for (const node of cluster.nodes) process.stdout.write(`${node.nodeId}: ${node.url}\n`);
  const started = cluster.redisPassword ? ` (started for this cluster, AUTH password ${cluster.redisPassword})` : '';
  process.stdout.write(`redis: ${cluster.redisUrl}${started}\n`);
  process.stdout.write(
    `load balancer: ${cluster.url} (HAProxy, sticky cookie ${cluster.loadBalancer!.cookieName}, health check /readyz)\n`,
  );
  process.stdout.write(`cluster ready: open ${cluster.url}\n`);
  // A node may be stopped by hand to watch failover; the rest keep serving.
  for (const node of cluster.nodes) {
    void node.exited().then(({ code, signal }) => {
      if (!stopping) process.stderr.write(`${node.nodeId} exited (${code ?? signal}); the other nodes keep serving\n`);
    });
  }
}

class UsageError extends Error {}

main().catch((err: unknown) => {
  process.stderr.write(
    `${err instanceof MissingBinaryError || err instanceof UsageError ? err.message : err instanceof Error ? err.stack : String(err)}\n`,
  );
  process.exit(1);
});
