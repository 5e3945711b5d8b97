// `npm run stop-task -- --node node-N`: ECS's stop of a task, on the running `npm start` cluster (local/stop-task.ts).
import { clusterFilePath, liveClusters, readClusterFile } from '../local/cluster-file';
import { formatTimelineEvent, stopTask } from '../local/stop-task';
import { parseStopTaskArgs, STOP_TASK_USAGE, type StopTaskArgs } from '../local/stop-task-options';
import { CliError, EXIT, runMain } from '../tools/cli';

/** No cluster on the port: the ones that run elsewhere, with the command for each, or how to start one. */
function noCluster(args: StopTaskArgs): CliError {
  const missing = `no npm start cluster on port ${args.port} (no ${clusterFilePath(args.port)})`;
  const running = liveClusters().map((c) => c.loadBalancerPort);
  const kill = args.kill ? ' --kill' : '';
  const command = (port: number) => `\`npm run stop-task -- --port ${port} --node ${args.node}${kill}\``;
  if (running.length === 0) return new CliError(`${missing}: start one with \`npm start\``, EXIT.config);
  if (running.length === 1) return new CliError(`${missing}; one runs on port ${running[0]}: ${command(running[0])}`, EXIT.config);
  return new CliError(`${missing}; clusters run on ports ${running.join(', ')}: pick one, e.g. ${command(running[0])}`, EXIT.config);
}

runMain({ name: 'stop-task', usage: STOP_TASK_USAGE }, async () => {
  const args = parseStopTaskArgs(process.argv.slice(2));
  const cluster = readClusterFile(args.port);
  if (!cluster) throw noCluster(args);
  const report = await stopTask({
    cluster,
    node: args.node,
    deregistrationDelayMs: args.deregistrationDelayMs ?? cluster.deregistrationDelayMs,
    stopTimeoutMs: args.stopTimeoutMs,
    deregister: !args.kill,
    onEvent: (e) => process.stdout.write(`${formatTimelineEvent(e)}\n`),
  });
  return report.killed ? EXIT.checkFailed : EXIT.ok;
});
