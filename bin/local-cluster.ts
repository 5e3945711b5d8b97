// `npm start`: a local cluster of service nodes on one Redis, behind HAProxy in the ALB's place.
import { appUsageError, LOCAL_CLUSTER_USAGE, parseLocalClusterArgs } from '../local/local-cluster-options';
import { type LocalCluster, startLocalCluster } from '../local/local-cluster';
import { checkPortsFree, checkRedisReachable } from '../local/local-cluster-preflight';
import { buildBundle } from '../local/service-node';
import { DEFAULT_APP } from '../tools/bundle';
import { runMain } from '../tools/cli';

runMain({ name: 'local-cluster', usage: LOCAL_CLUSTER_USAGE }, async () => {
  const { nodes, port, verbose, build, app } = parseLocalClusterArgs(process.argv.slice(2));
  const redisUrl = process.env.REDIS_URL || undefined;
  // Before anything is built or spawned: a running cluster on these ports stays untouched.
  await checkPortsFree({ port, nodes });
  if (redisUrl) await checkRedisReachable(redisUrl);
  if (build) buildBundle();

  // Handlers go in first: a signal while the cluster starts must still stop what has started.
  let stopping = false;
  let localCluster: LocalCluster | undefined = undefined;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('stopping…\n');
    // Still starting: the code after startLocalCluster sees `stopping` and stops it.
    if (!localCluster) return;
    await localCluster.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  localCluster = await startLocalCluster({
    ports: Array.from({ length: nodes }, (_, i) => port + 1 + i),
    loadBalancerPort: port,
    redisUrl,
    onLog: verbose ? (id, line) => process.stdout.write(`[${id}] ${line}\n`) : undefined,
    app,
  }).catch((err: unknown) => {
    // An app that does not build: one line naming the flag, as a bad path gets.
    throw appUsageError(err);
  });
  if (stopping) {
    await localCluster.stop();
    process.exit(0);
  }
  for (const node of localCluster.nodes) process.stdout.write(`${node.nodeId}: ${node.url}\n`);
  process.stdout.write(`app: ${app ?? `${DEFAULT_APP} (the demo chat)`}\n`);
  const started = localCluster.redisPassword ? ` (started for this cluster, AUTH password ${localCluster.redisPassword})` : '';
  process.stdout.write(`redis: ${localCluster.redisUrl}${started}\n`);
  process.stdout.write(
    `load balancer: ${localCluster.url} (HAProxy, sticky cookie ${localCluster.loadBalancer!.cookieName}, health check /readyz)\n`,
  );
  const portFlag = port === 8080 ? '' : ` --port ${port}`;
  process.stdout.write(
    `stop a node as ECS stops a task: npm run stop-task --${portFlag} --node node-1 ` +
      `(deregistration delay ${localCluster.deregistrationDelayMs! / 1_000} s)\n`,
  );
  process.stdout.write(`cluster ready: open ${localCluster.url}\n`);
  // A node may be stopped by hand to watch failover; the rest keep serving.
  for (const node of localCluster.nodes) {
    void node.exited().then(({ code, signal }) => {
      if (!stopping) process.stderr.write(`${node.nodeId} exited (${code ?? signal}); the other nodes keep serving\n`);
    });
  }
});
