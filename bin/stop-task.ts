// `npm run stop-task -- --node node-N`: ECS's stop of a task, on the running `npm start` cluster (local/stop-task.ts).
import { readClusterFile, clusterFilePath } from '../local/cluster-file';
import { formatTimelineEvent, stopTask } from '../local/stop-task';
import { parseStopTaskArgs, STOP_TASK_USAGE } from '../local/stop-task-options';
import { CliError, EXIT, runMain } from '../tools/cli';

runMain({ name: 'stop-task', usage: STOP_TASK_USAGE }, async () => {
  const args = parseStopTaskArgs(process.argv.slice(2));
  const cluster = readClusterFile(args.port);
  if (!cluster)
    throw new CliError(
      `no npm start cluster on port ${args.port} (no ${clusterFilePath(args.port)}): start one with \`npm start\``,
      EXIT.config,
    );
  const report = await stopTask({
    cluster,
    node: args.node,
    deregistrationDelayMs: args.deregistrationDelayMs ?? cluster.deregistrationDelayMs,
    stopTimeoutMs: args.stopTimeoutMs,
    onEvent: (e) => process.stdout.write(`${formatTimelineEvent(e)}\n`),
  });
  return report.killed ? EXIT.checkFailed : EXIT.ok;
});
