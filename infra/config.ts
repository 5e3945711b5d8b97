/**
 * The deployment configuration: one typed object per stage, overridable key by key from CDK
 * context (`-c key=value`). Only bin/app.ts reads context; everything below it gets typed props.
 */
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_PING_INTERVAL_MS, DEFAULT_PING_TIMEOUT_MS, DEFAULT_PORT } from '../contract/env';
import { DEFAULT_APP_NAME, STAGES, type StageName } from '../contract/stack';

import { CACHE_ENGINES, CacheEngine, PINNED_ENGINE_VERSIONS } from './cache';
export { CACHE_ENGINES, PINNED_ENGINE_VERSIONS, type CacheEngine };

export const AUTH_MODES = ['jwt', 'none'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export const CPU_ARCHITECTURES = ['ARM64', 'X86_64'] as const;
export type CpuArchitectureName = (typeof CPU_ARCHITECTURES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Added to the drain timeout to get the container's stopTimeout: time to flush logs and exit. */
export const STOP_TIMEOUT_MARGIN_MS = 10_000;
/** ECS's upper bound for a Fargate container's stopTimeout. */
export const MAX_STOP_TIMEOUT_MS = 120_000;

export interface DeploymentConfig {
  /** Preset the values start from. */
  readonly stage: StageName;
  /** Prefix of stack names, the replication group id and the metrics service name. */
  readonly appName: string;
  /** Target account; unset means the account of the credentials used at deploy. */
  readonly account?: string;
  /** Target region. */
  readonly region: string;
  /** Existing VPC to use instead of creating one (needs account and region for the lookup). */
  readonly vpcId?: string;
  /** Availability zones of a created VPC. */
  readonly maxAzs: number;
  /** NAT gateways of a created VPC (egress of the tasks). */
  readonly natGateways: number;
  /** ElastiCache engine. */
  readonly cacheEngine: CacheEngine;
  /** Engine version; pinned per engine. */
  readonly cacheEngineVersion: string;
  /** ElastiCache node type. */
  readonly cacheNodeType: string;
  /** Nodes in the replication group: the primary plus replicas (1..6). */
  readonly numCacheClusters: number;
  /** Cluster mode (shards): the service then runs the sharded adapter (SPUBLISH/SSUBSCRIBE). */
  readonly cacheClusterMode: boolean;
  /** Shards (node groups) in cluster mode. */
  readonly cacheShards: number;
  /** Replicas per shard in cluster mode. */
  readonly cacheReplicasPerShard: number;
  /** In-transit encryption plus AUTH token; may be off only outside prod. */
  readonly cacheTls: boolean;
  /** Days of automatic snapshots (0 disables them). */
  readonly cacheSnapshotRetentionDays: number;
  /** Weekly maintenance window, ddd:hh:mm-ddd:hh:mm UTC. */
  readonly cacheMaintenanceWindow: string;
  /** Daily snapshot window, hh:mm-hh:mm UTC. */
  readonly cacheSnapshotWindow: string;
  /** Keep the replication group and its secret when the stack is deleted. */
  readonly retainCache: boolean;
  /** Opt-in to a change that replaces the replication group (new endpoint, outage). */
  readonly allowCacheReplacement: boolean;
  /** CPU architecture of the tasks and of the image built for them. */
  readonly cpuArchitecture: CpuArchitectureName;
  /** Fargate task CPU units. */
  readonly taskCpu: number;
  /** Fargate task memory, MiB. */
  readonly taskMemoryMiB: number;
  /** Minimum number of tasks. */
  readonly minTasks: number;
  /** Maximum number of tasks. */
  readonly maxTasks: number;
  /** Target average CPU utilisation, percent. */
  readonly targetCpuPercent: number;
  /** Target average of connected sockets per task. */
  readonly targetConnectionsPerTask: number;
  /** Cooldown after a scale-out, seconds. */
  readonly scaleOutCooldownSeconds: number;
  /** Cooldown after a scale-in, seconds; longer than scale-out, since scale-in drops connections. */
  readonly scaleInCooldownSeconds: number;
  /** Port the container listens on. */
  readonly containerPort: number;
  /** Socket.IO pingInterval, ms. */
  readonly pingIntervalMs: number;
  /** Socket.IO pingTimeout, ms. */
  readonly pingTimeoutMs: number;
  /** Bound of the SIGTERM drain, ms. */
  readonly drainTimeoutMs: number;
  /** Service log level. */
  readonly logLevel: LogLevel;
  /** Retention of the service, slow-log and flow logs, days. */
  readonly logRetentionDays: number;
  /** Allow `aws ecs execute-command` into tasks. */
  readonly enableExecuteCommand: boolean;
  /** ACM certificate for an HTTPS listener; HTTP then redirects to HTTPS. */
  readonly certificateArn?: string;
  /** ALB idle timeout, seconds; must exceed pingInterval + pingTimeout. */
  readonly albIdleTimeoutSeconds: number;
  /** Lifetime of the ALB's stickiness cookie, seconds. */
  readonly stickinessDurationSeconds: number;
  /** Time ECS ignores failing health checks of a new task, seconds. */
  readonly healthCheckGracePeriodSeconds: number;
  /** Days before ALB access logs expire. */
  readonly accessLogExpirationDays: number;
  /** Handshake auth: JWT (jwksUrl, or an HS256 secret the stack generates) or none. */
  readonly authMode: AuthMode;
  /** Why prod runs without auth; required to set authMode=none in prod. */
  readonly authDisabledReason?: string;
  /** JWKS of an RS256/ES256 issuer (Cognito, Auth0); unset: an HS256 secret in Secrets Manager. */
  readonly authJwksUrl?: string;
  /** Expected `iss` of tokens. */
  readonly authJwtIssuer?: string;
  /** Expected `aud` of tokens. */
  readonly authJwtAudience?: string;
  /** Browser origins allowed cross-origin (with credentials). */
  readonly corsOrigins: readonly string[];
  /** Addresses subscribed to the paging topic (the monitoring block below has the rest). */
  readonly alarmEmails: readonly string[];
}

// ─── monitoring: alarm thresholds and notification targets ─────────────────────────────────
// One block (interface keys, presets, parsers, validation) so it merges apart from the rest.
// The keys join DeploymentConfig by declaration merging; PRESETS, PARSERS and validateConfig
// each pull this block in with one line.

/** Alarm thresholds and the subscribers of the paging and warnings topics (infra/monitoring.ts). */
export interface MonitoringConfig {
  /** HTTPS endpoints (e.g. a pager's SNS integration URL) subscribed to the paging topic. */
  readonly alarmHttpsEndpoints: readonly string[];
  /** Addresses subscribed to the warnings topic. */
  readonly warningEmails: readonly string[];
  /** HTTPS endpoints subscribed to the warnings topic. */
  readonly warningHttpsEndpoints: readonly string[];
  /** Redis EngineCPUUtilization warning level, percent. */
  readonly alarmCacheEngineCpuWarningPercent: number;
  /** Redis EngineCPUUtilization critical level (part of the paging alarm), percent. */
  readonly alarmCacheEngineCpuCriticalPercent: number;
  /** Redis host CPUUtilization level, percent; unset derives it from the node type's vCPUs. */
  readonly alarmCacheHostCpuPercent?: number;
  /** PubSubBasedCmdsLatency warning level (engine-side, Average), microseconds. */
  readonly alarmCachePubSubLatencyWarningMicros: number;
  /** PubSubBasedCmdsLatency critical level (part of the paging alarm), microseconds. */
  readonly alarmCachePubSubLatencyCriticalMicros: number;
  /** SuccessfulRead/WriteRequestLatency level (Average), microseconds. */
  readonly alarmCacheRequestLatencyMicros: number;
  /** DatabaseMemoryUsagePercentage level, percent. */
  readonly alarmCacheMemoryPercent: number;
  /** CurrConnections level per node; unset derives it from maxTasks. */
  readonly alarmCacheConnectionsMax?: number;
  /** ReplicationLag level on replicas, seconds. */
  readonly alarmCacheReplicationLagSeconds: number;
  /** SwapUsage level, MiB. */
  readonly alarmCacheSwapMiB: number;
  /** Evictions per minute above which the alarm fires. */
  readonly alarmCacheEvictionsPerMinute: number;
  /** NetworkBandwidthOutAllowanceExceeded (shaped packets) per minute above which the alarm fires. */
  readonly alarmCacheShapedPacketsPerMinute: number;
  /** ECS service CPUUtilization level, percent; above targetCpuPercent. */
  readonly alarmTaskCpuPercent: number;
  /** ECS service MemoryUtilization level, percent. */
  readonly alarmTaskMemoryPercent: number;
  /** UnHealthyHostCount above which the warning fires. */
  readonly alarmUnhealthyTargets: number;
  /** HTTPCode_ELB_5XX_Count per minute above which the alarm fires (part of the paging alarm). */
  readonly alarmElb5xxPerMinute: number;
  /** HTTPCode_Target_5XX_Count per minute above which the alarm fires. */
  readonly alarmTarget5xxPerMinute: number;
  /** RejectedConnectionCount per minute above which the alarm fires. */
  readonly alarmRejectedConnectionsPerMinute: number;
  /** RedisAdapterErrors per minute (all tasks) above which the alarm fires. */
  readonly alarmRedisAdapterErrorsPerMinute: number;
  /** EventLoopDelayP99 (worst task) level, ms; below pingTimeoutMs. */
  readonly alarmEventLoopDelayMs: number;
}

// Declaration merging: the monitoring keys are part of the deployment config.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DeploymentConfig extends MonitoringConfig {}

type MonitoringPreset = Omit<MonitoringConfig, 'alarmCacheHostCpuPercent' | 'alarmCacheConnectionsMax'>;

const MONITORING_COMMON = {
  alarmHttpsEndpoints: [],
  warningEmails: [],
  warningHttpsEndpoints: [],
  alarmCacheEngineCpuWarningPercent: 80,
  alarmCacheEngineCpuCriticalPercent: 90,
  alarmCachePubSubLatencyWarningMicros: 500,
  alarmCachePubSubLatencyCriticalMicros: 2_000,
  alarmCacheRequestLatencyMicros: 1_000,
  alarmCacheMemoryPercent: 80,
  alarmCacheReplicationLagSeconds: 10,
  alarmCacheSwapMiB: 50,
  alarmCacheEvictionsPerMinute: 0,
  alarmCacheShapedPacketsPerMinute: 0,
  alarmTaskCpuPercent: 80,
  alarmTaskMemoryPercent: 80,
  alarmUnhealthyTargets: 0,
  alarmRejectedConnectionsPerMinute: 0,
  alarmRedisAdapterErrorsPerMinute: 10,
  alarmEventLoopDelayMs: 200,
} as const satisfies Partial<MonitoringPreset>;

/** Per-stage monitoring presets; prod has more traffic, so its absolute 5xx counts are higher. */
export const MONITORING_PRESETS: Readonly<Record<StageName, MonitoringPreset>> = {
  dev: { ...MONITORING_COMMON, alarmElb5xxPerMinute: 10, alarmTarget5xxPerMinute: 10 },
  prod: { ...MONITORING_COMMON, alarmElb5xxPerMinute: 25, alarmTarget5xxPerMinute: 25 },
};

const MONITORING_PARSERS: { readonly [K in keyof MonitoringConfig]-?: (key: string, raw: unknown) => MonitoringConfig[K] } = {
  alarmHttpsEndpoints: parseList,
  warningEmails: parseList,
  warningHttpsEndpoints: parseList,
  alarmCacheEngineCpuWarningPercent: parseInt_,
  alarmCacheEngineCpuCriticalPercent: parseInt_,
  alarmCacheHostCpuPercent: parseInt_,
  alarmCachePubSubLatencyWarningMicros: parseInt_,
  alarmCachePubSubLatencyCriticalMicros: parseInt_,
  alarmCacheRequestLatencyMicros: parseInt_,
  alarmCacheMemoryPercent: parseInt_,
  alarmCacheConnectionsMax: parseInt_,
  alarmCacheReplicationLagSeconds: parseInt_,
  alarmCacheSwapMiB: parseInt_,
  alarmCacheEvictionsPerMinute: parseInt_,
  alarmCacheShapedPacketsPerMinute: parseInt_,
  alarmTaskCpuPercent: parseInt_,
  alarmTaskMemoryPercent: parseInt_,
  alarmUnhealthyTargets: parseInt_,
  alarmElb5xxPerMinute: parseInt_,
  alarmTarget5xxPerMinute: parseInt_,
  alarmRejectedConnectionsPerMinute: parseInt_,
  alarmRedisAdapterErrorsPerMinute: parseInt_,
  alarmEventLoopDelayMs: parseInt_,
};

/** The monitoring keys' rules; validateConfig calls it last. */
function validateMonitoringConfig(c: DeploymentConfig): void {
  for (const key of [
    'alarmCacheEngineCpuWarningPercent',
    'alarmCacheEngineCpuCriticalPercent',
    'alarmCacheMemoryPercent',
    'alarmTaskCpuPercent',
    'alarmTaskMemoryPercent',
  ] as const) {
    inRange(key, c[key], 1, 100);
  }
  if (c.alarmCacheHostCpuPercent !== undefined) inRange('alarmCacheHostCpuPercent', c.alarmCacheHostCpuPercent, 1, 100);
  if (c.alarmCacheEngineCpuWarningPercent >= c.alarmCacheEngineCpuCriticalPercent) {
    fail(
      `alarmCacheEngineCpuWarningPercent (${c.alarmCacheEngineCpuWarningPercent}) must be below alarmCacheEngineCpuCriticalPercent (${c.alarmCacheEngineCpuCriticalPercent})`,
    );
  }
  inRange('alarmCachePubSubLatencyWarningMicros', c.alarmCachePubSubLatencyWarningMicros, 1, 10_000_000);
  inRange('alarmCachePubSubLatencyCriticalMicros', c.alarmCachePubSubLatencyCriticalMicros, 1, 10_000_000);
  if (c.alarmCachePubSubLatencyWarningMicros >= c.alarmCachePubSubLatencyCriticalMicros) {
    fail(
      `alarmCachePubSubLatencyWarningMicros (${c.alarmCachePubSubLatencyWarningMicros}) must be below alarmCachePubSubLatencyCriticalMicros (${c.alarmCachePubSubLatencyCriticalMicros})`,
    );
  }
  inRange('alarmCacheRequestLatencyMicros', c.alarmCacheRequestLatencyMicros, 1, 10_000_000);
  // ElastiCache's maxclients is 65,000 per node.
  if (c.alarmCacheConnectionsMax !== undefined) inRange('alarmCacheConnectionsMax', c.alarmCacheConnectionsMax, 1, 65_000);
  inRange('alarmCacheReplicationLagSeconds', c.alarmCacheReplicationLagSeconds, 1, 3600);
  inRange('alarmCacheSwapMiB', c.alarmCacheSwapMiB, 1, 1_048_576);
  for (const key of [
    'alarmCacheEvictionsPerMinute',
    'alarmCacheShapedPacketsPerMinute',
    'alarmElb5xxPerMinute',
    'alarmTarget5xxPerMinute',
    'alarmRejectedConnectionsPerMinute',
    'alarmRedisAdapterErrorsPerMinute',
  ] as const) {
    inRange(key, c[key], 0, 1_000_000);
  }
  // Autoscaling holds CPU near targetCpuPercent; an alarm at or below it would fire on every busy hour.
  if (c.alarmTaskCpuPercent <= c.targetCpuPercent) {
    fail(
      `alarmTaskCpuPercent (${c.alarmTaskCpuPercent}) must be above targetCpuPercent (${c.targetCpuPercent}), or it fires whenever autoscaling works as intended`,
    );
  }
  inRange('alarmUnhealthyTargets', c.alarmUnhealthyTargets, 0, Math.max(0, c.maxTasks - 1));
  if (c.alarmEventLoopDelayMs < 1 || c.alarmEventLoopDelayMs >= c.pingTimeoutMs) {
    fail(`alarmEventLoopDelayMs must be from 1 to below pingTimeoutMs (${c.pingTimeoutMs}), got ${c.alarmEventLoopDelayMs}`);
  }
  for (const key of ['alarmHttpsEndpoints', 'warningHttpsEndpoints'] as const) {
    for (const url of c[key]) {
      if (!/^https:\/\/[^\s/,]+(\/[^\s,]*)?$/.test(url)) fail(`${key} must be comma-separated https:// URLs, got "${url}"`);
    }
  }
  for (const email of c.warningEmails) {
    if (!/^[^@\s,]+@[^@\s,]+\.[^@\s,]+$/.test(email)) fail(`warningEmails must be comma-separated email addresses, got "${email}"`);
  }
}
// ─── end of monitoring ─────────────────────────────────────────────────────────────────────

type Overridable = Omit<DeploymentConfig, 'stage'>;

/** Environment values bin/app.ts may pass on (the CDK CLI sets them from the profile). */
export interface ConfigEnvironment {
  readonly CDK_DEFAULT_ACCOUNT?: string;
  readonly CDK_DEFAULT_REGION?: string;
}

const COMMON = {
  appName: DEFAULT_APP_NAME,
  cacheEngine: 'valkey',
  cacheTls: true,
  cacheClusterMode: false,
  cacheShards: 3,
  cacheMaintenanceWindow: 'sun:05:00-sun:06:00',
  cacheSnapshotWindow: '03:00-04:00',
  allowCacheReplacement: false,
  cpuArchitecture: 'ARM64',
  targetCpuPercent: 60,
  targetConnectionsPerTask: 2_000,
  scaleOutCooldownSeconds: 60,
  scaleInCooldownSeconds: 300,
  containerPort: DEFAULT_PORT,
  pingIntervalMs: DEFAULT_PING_INTERVAL_MS,
  pingTimeoutMs: DEFAULT_PING_TIMEOUT_MS,
  drainTimeoutMs: DEFAULT_DRAIN_TIMEOUT_MS,
  logLevel: 'info',
  albIdleTimeoutSeconds: 120,
  stickinessDurationSeconds: 86_400,
  healthCheckGracePeriodSeconds: 60,
  corsOrigins: [],
  alarmEmails: [],
} as const satisfies Partial<Overridable>;

/** Everything but the region and engine version, which depend on the environment and the engine. */
type Preset = Omit<
  Overridable,
  | 'region'
  | 'cacheEngineVersion'
  | 'account'
  | 'vpcId'
  | 'certificateArn'
  | 'authDisabledReason'
  | 'authJwksUrl'
  | 'authJwtIssuer'
  | 'authJwtAudience'
>;

export const PRESETS: Readonly<Record<StageName, Preset>> = {
  dev: {
    ...COMMON,
    ...MONITORING_PRESETS.dev,
    maxAzs: 2,
    natGateways: 1,
    cacheNodeType: 'cache.t4g.micro',
    numCacheClusters: 1,
    cacheReplicasPerShard: 0,
    cacheSnapshotRetentionDays: 0,
    retainCache: false,
    taskCpu: 256,
    taskMemoryMiB: 512,
    minTasks: 1,
    maxTasks: 2,
    authMode: 'none',
    logRetentionDays: 7,
    enableExecuteCommand: true,
    accessLogExpirationDays: 30,
  },
  prod: {
    ...COMMON,
    ...MONITORING_PRESETS.prod,
    maxAzs: 3,
    natGateways: 3,
    cacheNodeType: 'cache.m7g.large',
    numCacheClusters: 3,
    cacheReplicasPerShard: 1,
    cacheSnapshotRetentionDays: 1,
    retainCache: true,
    taskCpu: 512,
    taskMemoryMiB: 1024,
    minTasks: 2,
    maxTasks: 10,
    authMode: 'jwt',
    logRetentionDays: 90,
    enableExecuteCommand: false,
    accessLogExpirationDays: 90,
  },
};

export const DEFAULT_REGION = 'us-east-1';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function fail(message: string): never {
  throw new ConfigError(`Invalid deployment config: ${message}`);
}

// Context from `-c` is always a string; cdk.json may hold real numbers and booleans.
function parseInt_(key: string, raw: unknown): number {
  const s = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  if (!/^-?\d+$/.test(s)) fail(`${key} must be an integer, got ${JSON.stringify(raw)}`);
  return Number(s);
}

function parseBool(key: string, raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  return fail(`${key} must be true or false, got ${JSON.stringify(raw)}`);
}

function parseString(key: string, raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '') fail(`${key} must be a non-empty string, got ${JSON.stringify(raw)}`);
  return raw.trim();
}

function parseOneOf<T extends string>(allowed: readonly T[]) {
  return (key: string, raw: unknown): T => {
    if (typeof raw === 'string' && (allowed as readonly string[]).includes(raw)) return raw as T;
    return fail(`${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  };
}

function parseList(key: string, raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.map((v) => parseString(key, v));
  if (typeof raw !== 'string') fail(`${key} must be a comma-separated list, got ${JSON.stringify(raw)}`);
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const PARSERS: { readonly [K in keyof Overridable]-?: (key: string, raw: unknown) => Overridable[K] } = {
  ...MONITORING_PARSERS,
  appName: parseString,
  account: parseString,
  region: parseString,
  vpcId: parseString,
  maxAzs: parseInt_,
  natGateways: parseInt_,
  cacheEngine: parseOneOf(CACHE_ENGINES),
  cacheEngineVersion: parseString,
  cacheNodeType: parseString,
  numCacheClusters: parseInt_,
  cacheClusterMode: parseBool,
  cacheShards: parseInt_,
  cacheReplicasPerShard: parseInt_,
  cacheTls: parseBool,
  cacheSnapshotRetentionDays: parseInt_,
  cacheMaintenanceWindow: parseString,
  cacheSnapshotWindow: parseString,
  retainCache: parseBool,
  allowCacheReplacement: parseBool,
  cpuArchitecture: parseOneOf(CPU_ARCHITECTURES),
  taskCpu: parseInt_,
  taskMemoryMiB: parseInt_,
  minTasks: parseInt_,
  maxTasks: parseInt_,
  targetCpuPercent: parseInt_,
  targetConnectionsPerTask: parseInt_,
  scaleOutCooldownSeconds: parseInt_,
  scaleInCooldownSeconds: parseInt_,
  containerPort: parseInt_,
  pingIntervalMs: parseInt_,
  pingTimeoutMs: parseInt_,
  drainTimeoutMs: parseInt_,
  logLevel: parseOneOf(LOG_LEVELS),
  logRetentionDays: parseInt_,
  enableExecuteCommand: parseBool,
  certificateArn: parseString,
  albIdleTimeoutSeconds: parseInt_,
  stickinessDurationSeconds: parseInt_,
  healthCheckGracePeriodSeconds: parseInt_,
  accessLogExpirationDays: parseInt_,
  authMode: parseOneOf(AUTH_MODES),
  authDisabledReason: parseString,
  authJwksUrl: parseString,
  authJwtIssuer: parseString,
  authJwtAudience: parseString,
  corsOrigins: parseList,
  alarmEmails: parseList,
};

/** Every key that `-c key=value` may set, `stage` included. */
export const CONFIG_KEYS: readonly string[] = ['stage', ...Object.keys(PARSERS)];

/**
 * Builds the config for `context.stage` (default dev) from its preset, the environment and the
 * context overrides, then validates it. Unset or empty context values keep the preset.
 */
export function resolveConfig(context: Readonly<Record<string, unknown>>, env: ConfigEnvironment = {}): DeploymentConfig {
  const stage = parseOneOf(STAGES)('stage', context.stage ?? 'dev');
  const overrides: Record<string, unknown> = {};
  for (const [key, parse] of Object.entries(PARSERS) as [string, (k: string, raw: unknown) => unknown][]) {
    const raw = context[key];
    if (raw === undefined || raw === null || raw === '') continue;
    overrides[key] = parse(key, raw);
  }
  const cacheEngine = (overrides.cacheEngine as CacheEngine | undefined) ?? PRESETS[stage].cacheEngine;
  const config: DeploymentConfig = {
    ...PRESETS[stage],
    region: env.CDK_DEFAULT_REGION || DEFAULT_REGION,
    account: env.CDK_DEFAULT_ACCOUNT || undefined,
    cacheEngineVersion: PINNED_ENGINE_VERSIONS[cacheEngine],
    ...overrides,
    stage,
  };
  validateConfig(config);
  return config;
}

/** Fargate's CPU units and the memory sizes (MiB) each allows. */
function fargateMemoryOptions(cpu: number): number[] {
  const range = (from: number, to: number, step: number) => Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
  switch (cpu) {
    case 256:
      return [512, 1024, 2048];
    case 512:
      return range(1024, 4096, 1024);
    case 1024:
      return range(2048, 8192, 1024);
    case 2048:
      return range(4096, 16384, 1024);
    case 4096:
      return range(8192, 30720, 1024);
    case 8192:
      return range(16384, 61440, 4096);
    case 16384:
      return range(32768, 122880, 8192);
    default:
      return [];
  }
}

function inRange(key: string, value: number, min: number, max: number): void {
  if (value < min || value > max) fail(`${key} must be from ${min} to ${max}, got ${value}`);
}

/** Throws a ConfigError naming the first bad setting and what is allowed. */
export function validateConfig(c: DeploymentConfig): void {
  // The replication group id is `${appName}-${stage}`: at most 40 chars, a letter first, no `--`.
  if (!/^[a-z](?!.*--)[a-z0-9-]{0,29}[a-z0-9]$/.test(c.appName)) {
    fail(`appName must be 2-31 lowercase letters, digits or single hyphens, starting with a letter, got "${c.appName}"`);
  }
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(c.region)) fail(`region must be an AWS region such as us-east-1, got "${c.region}"`);
  if (c.account !== undefined && !/^\d{12}$/.test(c.account)) fail(`account must be a 12-digit AWS account id, got "${c.account}"`);
  if (c.vpcId !== undefined) {
    if (!/^vpc-[0-9a-f]{8,17}$/.test(c.vpcId)) fail(`vpcId must look like vpc-0123456789abcdef0, got "${c.vpcId}"`);
    if (c.account === undefined) {
      fail('vpcId needs an explicit account (-c account=123456789012 or CDK_DEFAULT_ACCOUNT) for the VPC lookup');
    }
  }
  inRange('maxAzs', c.maxAzs, 2, 6);
  inRange('natGateways', c.natGateways, 1, c.maxAzs);
  if (c.stage === 'prod' && c.maxAzs < 3) fail(`maxAzs must be at least 3 in prod, got ${c.maxAzs}`);

  inRange('numCacheClusters', c.numCacheClusters, 1, 6);
  if (c.stage === 'prod' && c.numCacheClusters < 2) {
    fail(`numCacheClusters must be at least 2 in prod (a replica in another AZ for Multi-AZ failover), got ${c.numCacheClusters}`);
  }
  if (c.cacheClusterMode) {
    inRange('cacheShards', c.cacheShards, 1, 500);
    inRange('cacheReplicasPerShard', c.cacheReplicasPerShard, 0, 5);
    if (c.stage === 'prod' && c.cacheReplicasPerShard < 1) {
      fail(`cacheReplicasPerShard must be at least 1 in prod (a replica per shard for Multi-AZ failover), got ${c.cacheReplicasPerShard}`);
    }
  }
  if (c.stage === 'prod' && !c.cacheTls) {
    fail('cacheTls must be true in prod: the AUTH token and the chat traffic must not cross the network in clear text');
  }
  if (!/^cache\.[a-z0-9]+\.[a-z0-9]+$/.test(c.cacheNodeType)) {
    fail(`cacheNodeType must be an ElastiCache node type such as cache.t4g.micro, got "${c.cacheNodeType}"`);
  }
  if (!/^\d+\.\d+$/.test(c.cacheEngineVersion)) {
    fail(`cacheEngineVersion must be major.minor such as ${PINNED_ENGINE_VERSIONS[c.cacheEngine]}, got "${c.cacheEngineVersion}"`);
  }
  inRange('cacheSnapshotRetentionDays', c.cacheSnapshotRetentionDays, 0, 35);
  if (
    !/^(sun|mon|tue|wed|thu|fri|sat):([01]\d|2[0-3]):[0-5]\d-(sun|mon|tue|wed|thu|fri|sat):([01]\d|2[0-3]):[0-5]\d$/.test(
      c.cacheMaintenanceWindow,
    )
  ) {
    fail(`cacheMaintenanceWindow must be ddd:hh:mm-ddd:hh:mm (UTC), got "${c.cacheMaintenanceWindow}"`);
  }
  if (!/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/.test(c.cacheSnapshotWindow)) {
    fail(`cacheSnapshotWindow must be hh:mm-hh:mm (UTC), got "${c.cacheSnapshotWindow}"`);
  }

  const memory = fargateMemoryOptions(c.taskCpu);
  if (memory.length === 0) fail(`taskCpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384, got ${c.taskCpu}`);
  if (!memory.includes(c.taskMemoryMiB)) {
    fail(`taskMemoryMiB must be one of ${memory.join(', ')} for taskCpu ${c.taskCpu}, got ${c.taskMemoryMiB}`);
  }
  inRange('minTasks', c.minTasks, 1, 1000);
  inRange('maxTasks', c.maxTasks, 1, 1000);
  if (c.minTasks > c.maxTasks) fail(`minTasks (${c.minTasks}) must not be above maxTasks (${c.maxTasks})`);
  if (c.stage === 'prod' && c.minTasks < 2) fail(`minTasks must be at least 2 in prod (one task per failure), got ${c.minTasks}`);
  inRange('targetCpuPercent', c.targetCpuPercent, 10, 90);
  inRange('targetConnectionsPerTask', c.targetConnectionsPerTask, 1, 1_000_000);
  inRange('scaleOutCooldownSeconds', c.scaleOutCooldownSeconds, 0, 3600);
  inRange('scaleInCooldownSeconds', c.scaleInCooldownSeconds, 0, 3600);
  if (c.scaleInCooldownSeconds <= c.scaleOutCooldownSeconds) {
    fail(
      `scaleInCooldownSeconds (${c.scaleInCooldownSeconds}) must be above scaleOutCooldownSeconds (${c.scaleOutCooldownSeconds}): a scale-in drops connections, so it should be slower`,
    );
  }

  // Non-root containers cannot bind below 1024.
  inRange('containerPort', c.containerPort, 1024, 65535);
  inRange('pingIntervalMs', c.pingIntervalMs, 1_000, 300_000);
  inRange('pingTimeoutMs', c.pingTimeoutMs, 1_000, 300_000);
  inRange('drainTimeoutMs', c.drainTimeoutMs, 100, MAX_STOP_TIMEOUT_MS);
  if (c.drainTimeoutMs + STOP_TIMEOUT_MARGIN_MS > MAX_STOP_TIMEOUT_MS) {
    fail(
      `drainTimeoutMs (${c.drainTimeoutMs}) plus the ${STOP_TIMEOUT_MARGIN_MS / 1000} s stop margin must fit ECS's stopTimeout maximum of ${MAX_STOP_TIMEOUT_MS / 1000} s: use at most ${MAX_STOP_TIMEOUT_MS - STOP_TIMEOUT_MARGIN_MS}`,
    );
  }
  inRange('albIdleTimeoutSeconds', c.albIdleTimeoutSeconds, 1, 4000);
  const heartbeatMs = c.pingIntervalMs + c.pingTimeoutMs;
  if (c.albIdleTimeoutSeconds * 1000 <= heartbeatMs) {
    fail(
      `albIdleTimeoutSeconds (${c.albIdleTimeoutSeconds}) must be above pingIntervalMs + pingTimeoutMs (${heartbeatMs / 1000} s), or the ALB closes idle Socket.IO connections between heartbeats`,
    );
  }
  inRange('stickinessDurationSeconds', c.stickinessDurationSeconds, 1, 604_800);
  inRange('healthCheckGracePeriodSeconds', c.healthCheckGracePeriodSeconds, 0, 7200);
  inRange('accessLogExpirationDays', c.accessLogExpirationDays, 1, 3650);
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(c.logRetentionDays)) {
    fail(`logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${c.logRetentionDays}`);
  }
  if (c.certificateArn !== undefined && !/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/.test(c.certificateArn)) {
    fail(`certificateArn must be an ACM certificate ARN, got "${c.certificateArn}"`);
  }
  if (c.authMode === 'none' && c.stage === 'prod' && !c.authDisabledReason) {
    fail('authMode=none in prod needs authDisabledReason: say why anyone may connect (-c authDisabledReason="…"), or keep authMode=jwt');
  }
  if (c.authMode === 'none' && (c.authJwksUrl || c.authJwtIssuer || c.authJwtAudience)) {
    fail('authJwksUrl, authJwtIssuer and authJwtAudience only apply with authMode=jwt');
  }
  if (c.authDisabledReason !== undefined && c.authMode !== 'none') fail('authDisabledReason only applies with authMode=none');
  if (c.authJwksUrl !== undefined && !/^https:\/\/[^\s]+$/.test(c.authJwksUrl))
    fail(`authJwksUrl must be an https:// URL, got "${c.authJwksUrl}"`);
  for (const origin of c.corsOrigins) {
    if (!/^https?:\/\/[^/\s*,]+$/.test(origin))
      fail(`corsOrigins must be comma-separated origins such as https://app.example.com (no paths, no *), got "${origin}"`);
  }
  for (const email of c.alarmEmails) {
    if (!/^[^@\s,]+@[^@\s,]+\.[^@\s,]+$/.test(email)) fail(`alarmEmails must be comma-separated email addresses, got "${email}"`);
  }
  validateMonitoringConfig(c);
}
