/**
 * What each alarm tells the person it wakes: meaning, likely causes, the first three checks and
 * its runbook. The on-call CLI reads the runbook from the description's last line.
 */

/** One runbook per alarm kind, docs/runbooks/<slug>.md. */
export const RUNBOOK_SLUGS = [
  'service-impaired',
  'redis-engine-cpu',
  'redis-host-cpu',
  'redis-latency',
  'redis-memory',
  'redis-connections',
  'redis-evictions',
  'redis-replication-lag',
  'redis-network-allowance',
  'ecs-task-resources',
  'ecs-running-tasks',
  'alb-target-health',
  'alb-elb-5xx',
  'alb-target-5xx',
  'alb-rejected-connections',
  'redis-adapter-errors',
  'event-loop-delay',
  'api-errors',
] as const;
export type RunbookSlug = (typeof RUNBOOK_SLUGS)[number];

export type Severity = 'PAGING' | 'WARNING';

/** CloudWatch's limit on AlarmDescription. */
export const MAX_DESCRIPTION_CHARS = 1024;

/**
 * The stack the on-call CLI must read. Every command a description gives names it: the CLI's
 * default stack is not the one that paged when dev and prod share an account.
 */
export interface OncallTarget {
  /** The service stack's CloudFormation name (`--stack`). */
  readonly stack: string;
  /** Its region (`--region`). */
  readonly region: string;
}

/** One of the first checks: plain text, or text around on-call CLI commands that `cli` renders for the stack. */
export type Check = string | ((cli: (args: string) => string) => string);

export interface AlarmStory {
  /** What the condition means for users. */
  readonly meaning: string;
  /** The usual reasons, most likely first. */
  readonly causes: string;
  /** The first three things to look at. */
  readonly checks: readonly [Check, Check, Check];
  readonly runbook: RunbookSlug;
}

export function runbookPath(slug: RunbookSlug): string {
  return `docs/runbooks/${slug}.md`;
}

/** An on-call CLI command for `target`, quoted whole. */
export function oncallCommand(args: string, target: OncallTarget): string {
  return `\`npm run oncall -- ${args} --stack ${target.stack} --region ${target.region}\``;
}

/** The description: severity and condition first, the Runbook line last. Throws above CloudWatch's limit. */
export function alarmDescription(severity: Severity, condition: string, story: AlarmStory, target: OncallTarget): string {
  const [a, b, c] = story.checks.map((check) => (typeof check === 'string' ? check : check((args) => oncallCommand(args, target))));
  const text = [
    `${severity}: ${condition}`,
    `Means: ${story.meaning}`,
    `Likely causes: ${story.causes}`,
    `First checks: 1) ${a} 2) ${b} 3) ${c}`,
    `Runbook: ${runbookPath(story.runbook)}`,
  ].join('\n');
  if (text.length > MAX_DESCRIPTION_CHARS) {
    throw new Error(
      `Monitoring: the description of "${condition}" has ${text.length} characters; CloudWatch allows ${MAX_DESCRIPTION_CHARS}`,
    );
  }
  return text;
}

export const STORIES = {
  serviceImpaired: {
    meaning:
      'users are affected now: tasks are missing, the ALB answers 5xx or has no healthy target, ' +
      'or Redis (and so cross-node delivery) is saturated.',
    causes: 'failing deploy or crash loop, a Redis failover or overload, a broken release, AZ trouble.',
    checks: [
      (cli) => `${cli('status')}: which child alarm fired`,
      'ECS service events and stopped-task reasons',
      (cli) => `${cli('metrics --hours 6')} around the start`,
    ],
    runbook: 'service-impaired',
  },
  engineCpu: {
    meaning: 'the single Redis engine thread is near saturation; pub/sub delivery between nodes slows, then queues.',
    causes:
      'message fan-out growth, a client running expensive commands (KEYS, big MGET, Lua), ' +
      'connection storms with TLS handshakes, snapshot/replication sync.',
    checks: ['INFO commandstats: which commands use the time', 'SLOWLOG GET 20', 'CurrConnections and NewConnections on the dashboard'],
    runbook: 'redis-engine-cpu',
  },
  hostCpu: {
    meaning: 'the cache host is busy beyond what the engine thread plus I/O should need; latency rises for every client.',
    causes: 'engine saturation on a small node, TLS connection churn, snapshots or replication sync, a node type too small.',
    checks: ['EngineCPUUtilization on the same node', 'NewConnections (reconnect storm?)', 'SaveInProgress / recent ElastiCache events'],
    runbook: 'redis-host-cpu',
  },
  latency: {
    meaning: 'Redis spends longer per command; messages between Socket.IO nodes arrive late.',
    causes: 'engine CPU saturation, large payloads, many pattern subscriptions, slow commands blocking the thread, swapping.',
    checks: ['LATENCY DOCTOR', 'SLOWLOG GET 20', 'EngineCPUUtilization and SwapUsage on the node'],
    runbook: 'redis-latency',
  },
  memory: {
    meaning:
      'the node is running out of memory; at the limit it evicts or refuses writes, ' +
      'and output buffers of slow subscribers can get clients dropped.',
    causes: 'subscriber output buffers growing (a stalled node), stream keys growing (streams adapter), keys written by another client.',
    checks: ['INFO memory', 'CLIENT LIST: large omem on sub clients', 'INFO keyspace / big keys'],
    runbook: 'redis-memory',
  },
  swap: {
    meaning: 'the node is swapping; every command can become slow.',
    causes: 'memory pressure (reserved memory too low for the workload), large output buffers.',
    checks: ['DatabaseMemoryUsagePercentage and FreeableMemory', 'INFO memory', 'CLIENT LIST: omem of sub clients'],
    runbook: 'redis-memory',
  },
  connections: {
    meaning: 'more clients are connected than the fleet should open (about 3 per task); a leak or a reconnect storm.',
    causes:
      'tasks reconnecting in a loop, a deploy with double the tasks, another application using the cluster, operators left connected.',
    checks: ['CLIENT LIST: group by name and addr', 'ECS running task count', 'RedisReconnects metric'],
    runbook: 'redis-connections',
  },
  evictions: {
    meaning: 'Redis dropped keys to make room; with the streams adapter that loses messages for recovery.',
    causes: 'memory full, streams not trimmed, keys written by something other than the adapter.',
    checks: ['INFO stats (evicted_keys) and INFO memory', 'INFO keyspace', 'DatabaseMemoryUsagePercentage'],
    runbook: 'redis-evictions',
  },
  replicationLag: {
    meaning: 'this replica is behind the primary; a failover to it now would start from stale state and take longer.',
    causes: 'primary overloaded, network allowance exceeded, full resync after a restart, replica too small.',
    checks: [
      'INFO replication on the primary',
      'EngineCPUUtilization of the primary',
      'NetworkBandwidthOutAllowanceExceeded of the primary',
    ],
    runbook: 'redis-replication-lag',
  },
  shapedPackets: {
    meaning: 'the node exceeded its network bandwidth allowance and packets were queued or dropped; pub/sub fan-out slows.',
    causes: 'fan-out grows with messages times subscribed nodes, large payloads, a node type with low baseline bandwidth.',
    checks: ['NetworkBytesOut on the dashboard', 'MessagesIn/MessagesDelivered trend', 'PUBSUB NUMSUB / number of tasks'],
    runbook: 'redis-network-allowance',
  },
  taskCpu: {
    meaning: 'tasks are CPU-bound while autoscaling should have added tasks; messages and heartbeats get slower.',
    causes: 'autoscaling at maxTasks, a scale-out blocked (capacity, failing deploy), a hot loop in a release.',
    checks: ['running vs desired tasks vs maxTasks', 'EventLoopDelayP99', 'ECS service events'],
    runbook: 'ecs-task-resources',
  },
  taskMemory: {
    meaning: 'tasks use most of their memory; an out-of-memory kill drops every socket on the task.',
    causes: 'more sockets per task than sized for, slow consumers buffering, a leak in a release.',
    checks: ['ConnectedClients per task', 'stopped tasks with OutOfMemory reasons', 'memory trend since the last deploy'],
    runbook: 'ecs-task-resources',
  },
  runningTasks: {
    meaning: 'fewer tasks run than the configured minimum; capacity and redundancy are reduced.',
    causes: 'tasks crash or fail health checks, image pull or secret errors, Fargate capacity, a deploy rolled back.',
    checks: ['ECS service events', 'stopped tasks: stoppedReason and exit code', 'the service log group around the stop'],
    runbook: 'ecs-running-tasks',
  },
  unhealthyTargets: {
    meaning: 'some tasks fail the ALB health check (GET /readyz) and get no new connections.',
    causes: 'a task starting or draining for too long, event loop blocked, a task that never connected to Redis.',
    checks: ['target health reasons in the target group', '/healthz of the task via ECS Exec', 'the task log'],
    runbook: 'alb-target-health',
  },
  noHealthyTargets: {
    meaning: 'the ALB has no healthy target: every new request fails with 503.',
    causes: 'all tasks down or starting, a broken release, security group or port change, /readyz failing everywhere.',
    checks: ['ECS running tasks and events', 'target health reasons', 'the last deploy'],
    runbook: 'alb-target-health',
  },
  elb5xx: {
    meaning: 'the ALB itself answers 5xx: clients cannot connect or poll.',
    causes: 'no healthy targets (503), targets closing connections (502), timeouts (504), ALB scaling.',
    checks: ['HealthyHostCount', 'ALB access logs: elb_status_code and error_reason', 'task restarts around the time'],
    runbook: 'alb-elb-5xx',
  },
  target5xx: {
    meaning: 'the tasks answer 5xx to HTTP requests (polling, handshakes).',
    causes: 'draining tasks refusing handshakes, a bug in a release, errors the app maps to 500.',
    checks: ['the service log at error level', 'ALB access logs: target_status_code by path', 'the last deploy'],
    runbook: 'alb-target-5xx',
  },
  rejectedConnections: {
    meaning: 'the ALB refused connections because it hit its connection limit; clients fail to connect.',
    causes: 'a connection surge beyond what the ALB has scaled to, clients reconnecting in a tight loop.',
    checks: ['ActiveConnectionCount and NewConnectionCount', 'ConnectedClients total', 'client reconnect behaviour after a deploy'],
    runbook: 'alb-rejected-connections',
  },
  redisAdapterErrors: {
    meaning: 'tasks fail to publish to Redis: messages to sockets on other nodes are lost (same-node delivery still works).',
    causes: 'a Redis failover or outage, network or security group trouble, AUTH token changed, Redis overloaded.',
    checks: ['ElastiCache events (failover?)', 'RedisReconnects and /healthz redis field', 'the task log: Redis warnings'],
    runbook: 'redis-adapter-errors',
  },
  eventLoopDelay: {
    meaning: "a task's event loop is blocked for long; every socket on it gets late messages and slow acks.",
    causes: 'CPU saturation, large broadcasts, synchronous work in a handler, GC pressure near the memory limit.',
    checks: ['ECS CPUUtilization and MemoryUtilization', 'ConnectedClients per task', 'the last deploy'],
    runbook: 'event-loop-delay',
  },
  api5xx: {
    meaning: 'the backend API answers 5xx: publishes, presence queries or disconnects from your servers fail; nothing was published.',
    causes: '503: Redis reconnecting or the task draining (a deploy, a failover); 500: a bug in a release.',
    checks: ['the service log: "api request failed"', 'RedisReconnects and ElastiCache events', 'the last deploy'],
    runbook: 'api-errors',
  },
  apiUnauthorized: {
    meaning: 'many API requests carry no valid key (401): a backend lost access, or someone is guessing keys.',
    causes: 'a key rotated out before every backend moved, a backend with a stale secret, probing from the internet.',
    checks: ['ALB access logs: client IPs of /api/ 401s', 'the API keys secret: last changed', 'which backends were deployed'],
    runbook: 'api-errors',
  },
  apiThrottled: {
    meaning: 'backends send more than API_RATE_LIMIT_PER_KEY requests per second to a node; their calls get 429.',
    causes: 'a backend retrying in a tight loop, a batch job without pacing, traffic grown past the limit.',
    checks: ['ApiRequests2xx and ApiRequestsThrottled per task', 'which backend uses the key', 'API_RATE_LIMIT_PER_KEY'],
    runbook: 'api-errors',
  },
  apiPublishLatency: {
    meaning: 'API publishes take long to reach the adapter; events from your servers arrive late.',
    causes: 'a blocked event loop, Redis latency or a failover, large publishes to many targets.',
    checks: ['EventLoopDelayP99', 'Redis PubSubBasedCmdsLatency and EngineCPUUtilization', 'ECS CPUUtilization'],
    runbook: 'api-errors',
  },
  presenceTimeouts: {
    meaning: 'presence queries or user disconnects wait for a node that does not answer; answers are partial.',
    causes: 'a frozen node (event loop blocked, out of memory), a node cut off from Redis, a task being killed.',
    checks: ['EventLoopDelayP99 per task', 'ECS stopped tasks and health', 'RedisAdapterErrors'],
    runbook: 'api-errors',
  },
} as const satisfies Record<string, AlarmStory>;
