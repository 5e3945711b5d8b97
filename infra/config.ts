/**
 * The deployment configuration: one zod schema in which every key carries its type, range,
 * one-line doc (`.describe()`) and default. A key that is a construct's prop takes its default and
 * range from that construct (NETWORK_DEFAULTS, CACHE_LIMITS, …), and the alarm keys come from
 * MONITORING_THRESHOLDS, so nothing is written twice. PRESETS hold only what a stage changes.
 * `-c key=value` overrides any key; only bin/app.ts reads context, everything below gets typed props.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { z } from 'zod';
import { closestName } from '../contract/closest';
import { envSchema } from '../contract/env';
import { DEFAULT_APP_NAME, STAGES, type StageName } from '../contract/stack';
import { CACHE_DEFAULTS, CACHE_ENGINES, CACHE_FORMATS, CACHE_LIMITS, PINNED_ENGINE_VERSIONS } from './cache';
import { configProblems } from './config-rules';
import { boolValue, intOneOf, intValue, issueMessages, listValue, oneOf, textValue } from './config-values';
import { CIDR_FORMAT, LOAD_BALANCER_DEFAULTS, LOAD_BALANCER_LIMITS } from './load-balancer';
import { SUBSCRIBER_FORMATS } from './monitoring';
import { MONITORING_THRESHOLDS, ThresholdKey, ThresholdSpec } from './monitoring-thresholds';
import { MAX_AZS_RANGE, NETWORK_DEFAULTS } from './network';
import { SERVICE_LIMITS, ServiceLimitKey } from './service-limits';
import { SERVICE_STACK_DEFAULTS } from './service-stack';
import { CPU_ARCHITECTURES, CpuArchitectureName, SOCKET_SERVICE_DEFAULTS, SOCKET_SERVICE_LIMITS } from './socket-service';
import { Format } from './validation';
import { WEB_ACL_DEFAULTS, WEB_ACL_LIMITS } from './web-acl';

/** Handshake auth of the tasks: JWT (a JWKS URL, or an HS256 secret the stack generates) or none. */
export const AUTH_MODES = ['jwt', 'none'] as const;

/** The retention periods CloudWatch Logs accepts, days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The region when neither context nor the CLI's profile gives one. */
export const DEFAULT_REGION = 'us-east-1';

/** Formats of the keys no construct owns. */
export const CONFIG_FORMATS = {
  // The replication group id is `${appName}-${stage}`: at most 40 chars, a letter first, no `--`.
  appName: {
    pattern: /^[a-z](?!.*--)[a-z0-9-]{0,29}[a-z0-9]$/,
    text: '2-31 lowercase letters, digits or single hyphens, starting with a letter',
  },
  region: { pattern: /^[a-z]{2}(-[a-z]+)+-\d+$/, text: 'an AWS region such as us-east-1' },
  account: { pattern: /^\d{12}$/, text: 'a 12-digit AWS account id' },
  vpcId: { pattern: /^vpc-[0-9a-f]{8,17}$/, text: 'a VPC id such as vpc-0123456789abcdef0' },
  certificateArn: { pattern: /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/, text: 'an ACM certificate ARN' },
  httpsUrl: { pattern: /^https:\/\/[^\s]+$/, text: 'an https:// URL' },
  origin: { pattern: /^https?:\/\/[^/\s*,]+$/, text: 'origins such as https://app.example.com (no paths, no *)' },
} as const satisfies Record<string, Format>;

const service = SOCKET_SERVICE_DEFAULTS;
const alb = LOAD_BALANCER_DEFAULTS;
const cpuArchitectureNames = Object.keys(CPU_ARCHITECTURES) as [CpuArchitectureName, ...CpuArchitectureName[]];
const defaultCpuArchitecture = cpuArchitectureNames.find((name) => CPU_ARCHITECTURES[name] === service.cpuArchitecture);
/** The service's own LOG_LEVEL values (contract/env.ts). */
type LogLevel = z.output<typeof envSchema.shape.LOG_LEVEL>;
const logLevels = envSchema.shape.LOG_LEVEL.unwrap().options as [LogLevel, ...LogLevel[]];

type IntValue = ReturnType<typeof intValue>;
type ThresholdValue<S> = S extends { readonly default: number } ? z.ZodDefault<IntValue> : z.ZodOptional<IntValue>;
type ThresholdShape = { [K in ThresholdKey]: ThresholdValue<(typeof MONITORING_THRESHOLDS)[K]> };

/** The alarm keys, each from its row of MONITORING_THRESHOLDS. */
const THRESHOLD_SHAPE = Object.fromEntries(
  Object.entries(MONITORING_THRESHOLDS).map(([key, spec]: [string, ThresholdSpec]) => {
    const value = intValue(spec.range);
    return [key, (spec.default === undefined ? value.optional() : value.default(spec.default)).describe(spec.doc)];
  }),
) as ThresholdShape;

type LimitShape = { [K in ServiceLimitKey]: z.ZodOptional<IntValue> };

/** The platform's limits, each with the service's range; unset, the service's own default applies (it is not written). */
const LIMIT_SHAPE = Object.fromEntries(
  Object.entries(SERVICE_LIMITS).map(([key, spec]) => [
    key,
    intValue(spec.range).optional().describe(`${spec.doc} (${spec.variable}; unset: ${spec.default})`),
  ]),
) as LimitShape;

/** Every key: its type and range, its default, and what it means. */
export const CONFIG_SHAPE = {
  stage: oneOf(STAGES).default('dev').describe('Preset the values start from'),
  appName: textValue(CONFIG_FORMATS.appName)
    .default(DEFAULT_APP_NAME)
    .describe('Prefix of stack names; the replication group id and the metrics service name are <appName>-<stage>'),
  app: textValue()
    .optional()
    .describe("The Socket.IO app the image runs: a file or directory, relative to the repository's root; unset: the demo chat"),
  account: textValue(CONFIG_FORMATS.account).optional().describe("Target account; unset: the deploy credentials' (CDK_DEFAULT_ACCOUNT)"),
  region: textValue(CONFIG_FORMATS.region).default(DEFAULT_REGION).describe("Target region; unset: the CLI profile's (CDK_DEFAULT_REGION)"),
  vpcId: textValue(CONFIG_FORMATS.vpcId).optional().describe('Existing VPC to use instead of creating one (looked up: needs account)'),
  maxAzs: intValue(MAX_AZS_RANGE).default(NETWORK_DEFAULTS.maxAzs).describe('Availability zones of a created VPC'),
  natGateways: intValue()
    .default(NETWORK_DEFAULTS.natGateways)
    .describe('NAT gateways of a created VPC (egress of the tasks), 0..maxAzs; 0: tasks in public subnets with public IPs'),
  cacheEngine: oneOf(CACHE_ENGINES).default(CACHE_DEFAULTS.engine).describe('ElastiCache engine (changing it replaces the group)'),
  cacheEngineVersion: textValue(CACHE_FORMATS.engineVersion)
    .optional()
    .describe('Engine version; unset: the version pinned for the engine'),
  cacheNodeType: textValue(CACHE_FORMATS.nodeType).default(CACHE_DEFAULTS.nodeType).describe('ElastiCache node type'),
  numCacheClusters: intValue(CACHE_LIMITS.numCacheClusters)
    .default(CACHE_DEFAULTS.numCacheClusters)
    .describe('Nodes in the replication group: the primary plus replicas'),
  cacheClusterMode: boolValue().default(false).describe('Cluster mode (shards): the service then runs the sharded adapter'),
  cacheShards: intValue(CACHE_LIMITS.shards).default(3).describe('Shards (node groups) in cluster mode'),
  cacheReplicasPerShard: intValue(CACHE_LIMITS.replicasPerShard).default(0).describe('Replicas per shard in cluster mode'),
  cacheTls: boolValue()
    .default(CACHE_DEFAULTS.transitEncryption)
    .describe('In-transit encryption plus AUTH token; may be off only outside prod'),
  cacheSnapshotRetentionDays: intValue(CACHE_LIMITS.snapshotRetentionDays)
    .default(CACHE_DEFAULTS.snapshotRetentionDays)
    .describe('Days of automatic snapshots (0 disables them)'),
  cacheMaintenanceWindow: textValue(CACHE_FORMATS.maintenanceWindow)
    .default(CACHE_DEFAULTS.maintenanceWindow)
    .describe('Weekly maintenance window, UTC'),
  cacheSnapshotWindow: textValue(CACHE_FORMATS.snapshotWindow)
    .default(CACHE_DEFAULTS.snapshotWindow)
    .describe('Daily snapshot window, UTC'),
  retainCache: boolValue()
    .default((CACHE_DEFAULTS.removalPolicy as RemovalPolicy) === RemovalPolicy.RETAIN)
    .describe('Keep the replication group and what it uses (secret, subnet group, security group, VPC) when deleted'),
  retainSecrets: boolValue()
    .default((SERVICE_STACK_DEFAULTS.secretsRemovalPolicy as RemovalPolicy) === RemovalPolicy.RETAIN)
    .describe('Keep the HS256 signing secret and the backend API keys secret when the service stack is deleted'),
  allowCacheReplacement: boolValue()
    .default(CACHE_DEFAULTS.allowReplacement)
    .describe('Opt in to a change that replaces the replication group (new endpoint, outage)'),
  cpuArchitecture: oneOf(cpuArchitectureNames)
    .default(defaultCpuArchitecture ?? 'ARM64')
    .describe('CPU architecture of the tasks and of the image built for them'),
  taskCpu: intValue().default(service.cpu).describe('Fargate task CPU units'),
  taskMemoryMiB: intValue().default(service.memoryLimitMiB).describe('Fargate task memory, MiB (a pair Fargate offers with taskCpu)'),
  minTasks: intValue(SOCKET_SERVICE_LIMITS.taskCount).default(service.minTasks).describe('Minimum number of tasks'),
  maxTasks: intValue(SOCKET_SERVICE_LIMITS.taskCount).default(service.maxTasks).describe('Maximum number of tasks'),
  targetCpuPercent: intValue(SOCKET_SERVICE_LIMITS.targetCpuPercent)
    .default(service.targetCpuPercent)
    .describe('Target average CPU utilisation, percent'),
  targetConnectionsPerTask: intValue(SOCKET_SERVICE_LIMITS.targetConnectionsPerTask)
    .default(service.targetConnectionsPerTask)
    .describe('Target average of connected sockets per task'),
  scaleOutCooldownSeconds: intValue(SOCKET_SERVICE_LIMITS.cooldownSeconds)
    .default(service.scaleOutCooldown.toSeconds())
    .describe('Cooldown after a scale-out, seconds'),
  scaleInCooldownSeconds: intValue(SOCKET_SERVICE_LIMITS.cooldownSeconds)
    .default(service.scaleInCooldown.toSeconds())
    .describe('Cooldown after a scale-in, seconds; longer than scale-out, since scale-in drops connections'),
  containerPort: intValue(SOCKET_SERVICE_LIMITS.containerPort).default(service.containerPort).describe('Port the container listens on'),
  pingIntervalMs: intValue(SOCKET_SERVICE_LIMITS.pingIntervalMs)
    .default(service.pingInterval.toMilliseconds())
    .describe('Socket.IO pingInterval, ms'),
  pingTimeoutMs: intValue(SOCKET_SERVICE_LIMITS.pingTimeoutMs)
    .default(service.pingTimeout.toMilliseconds())
    .describe('Socket.IO pingTimeout, ms'),
  drainTimeoutMs: intValue(SOCKET_SERVICE_LIMITS.drainTimeoutMs)
    .default(service.drainTimeout.toMilliseconds())
    .describe('Bound of the shutdown after SIGTERM, ms; stopTimeout is this + 10 s'),
  drainSpreadMs: intValue(SOCKET_SERVICE_LIMITS.drainSpreadMs)
    .default(service.drainSpread.toMilliseconds())
    .describe('How long a task whose target drains spreads its disconnects over, ms; sets the ALB deregistration delay'),
  logLevel: oneOf(logLevels).default(service.logLevel).describe('Service log level'),
  logRetentionDays: intOneOf(LOG_RETENTION_DAYS)
    .optional()
    .describe("Retention of the service, slow-log and flow logs, days; unset: each construct's default (a month)"),
  enableExecuteCommand: boolValue().default(service.enableExecuteCommand).describe('Allow `aws ecs execute-command` into tasks'),
  certificateArn: textValue(CONFIG_FORMATS.certificateArn)
    .optional()
    .describe('ACM certificate for an HTTPS listener; HTTP then redirects'),
  insecureHttpReason: textValue().optional().describe('Why prod serves plain HTTP without certificateArn; required then in prod'),
  albIdleTimeoutSeconds: intValue(LOAD_BALANCER_LIMITS.idleTimeoutSeconds)
    .default(alb.idleTimeout.toSeconds())
    .describe('ALB idle timeout, seconds; must exceed pingInterval + pingTimeout'),
  stickinessDurationSeconds: intValue(LOAD_BALANCER_LIMITS.stickinessDurationSeconds)
    .default(alb.stickinessDuration.toSeconds())
    .describe("Lifetime of the ALB's stickiness cookie, seconds"),
  healthCheckGracePeriodSeconds: intValue(SOCKET_SERVICE_LIMITS.healthCheckGracePeriodSeconds)
    .default(service.healthCheckGracePeriod.toSeconds())
    .describe('Time ECS ignores failing health checks of a new task, seconds'),
  accessLogExpirationDays: intValue(LOAD_BALANCER_LIMITS.accessLogExpirationDays)
    .default(alb.accessLogExpiration.toDays())
    .describe('Days before ALB access logs expire'),
  authMode: oneOf(AUTH_MODES).default('jwt').describe('Handshake auth: jwt (authJwksUrl, or an HS256 secret the stack generates) or none'),
  authDisabledReason: textValue().optional().describe('Why prod runs without auth; required to set authMode=none in prod'),
  authJwksUrl: textValue(CONFIG_FORMATS.httpsUrl)
    .optional()
    .describe('JWKS of an RS256/ES256 issuer (Cognito, Auth0); unset: an HS256 secret in Secrets Manager'),
  authJwtIssuer: textValue().optional().describe('Expected `iss` of tokens'),
  authJwtAudience: textValue().optional().describe('Expected `aud` of tokens'),
  corsOrigins: listValue(CONFIG_FORMATS.origin).default([]).describe('Browser origins allowed cross-origin (with credentials)'),
  apiAllowedCidrs: listValue(CIDR_FORMAT)
    .default([])
    .describe('Source CIDRs that may reach the backend API (/api/*) through the ALB; others get 404; none: all (with a key)'),
  corsOriginsUnsetReason: textValue()
    .optional()
    .describe('Why prod has no corsOrigins (browsers then connect from the ALB origin only); required then in prod'),
  wafEnabled: boolValue().default(false).describe('AWS WAF web ACL on the ALB: a per-IP rate limit on /socket.io/ and the common rule set'),
  wafSocketIoRequestsPerIp: intValue(WEB_ACL_LIMITS.socketIoRequestsPerIp)
    .default(WEB_ACL_DEFAULTS.socketIoRequestsPerIp)
    .describe('Requests one IP may send to /socket.io/ per 5 minutes before the WAF blocks it'),
  alarmEmails: listValue(SUBSCRIBER_FORMATS.email).default([]).describe('Addresses subscribed to the paging topic'),
  alarmHttpsEndpoints: listValue(SUBSCRIBER_FORMATS.httpsUrl)
    .default([])
    .describe("HTTPS endpoints (a pager's SNS integration URL) subscribed to the paging topic"),
  pagingUnsetReason: textValue()
    .optional()
    .describe('Why prod pages nobody (no alarmEmails, no alarmHttpsEndpoints); required then in prod'),
  ...LIMIT_SHAPE,
  warningEmails: listValue(SUBSCRIBER_FORMATS.email).default([]).describe('Addresses subscribed to the warnings topic'),
  warningHttpsEndpoints: listValue(SUBSCRIBER_FORMATS.httpsUrl).default([]).describe('HTTPS endpoints subscribed to the warnings topic'),
  ...THRESHOLD_SHAPE,
};

/** The schema: the keys, then the defaults that depend on another key. */
export const DEPLOYMENT_CONFIG_SCHEMA = z.strictObject(CONFIG_SHAPE).transform((c) => ({
  ...c,
  cacheEngineVersion: c.cacheEngineVersion ?? PINNED_ENGINE_VERSIONS[c.cacheEngine],
}));

export type DeploymentConfig = Readonly<z.output<typeof DEPLOYMENT_CONFIG_SCHEMA>>;
export type ConfigKey = keyof typeof CONFIG_SHAPE;
/** What a preset may set: any key but the stage, as real values. */
export type Preset = Partial<Omit<DeploymentConfig, 'stage'>>;

/** What each stage changes from the defaults, and nothing else. */
export const PRESETS: Readonly<Record<StageName, Preset>> = {
  // Cheap: one micro node (the default), one task scaling to two (the default), ECS Exec for debugging, and no
  // NAT gateway (its hours cost more than the task's public IP that replaces it; docs/deploy.md has the numbers).
  dev: {
    natGateways: 0,
    authMode: 'none',
    enableExecuteCommand: true,
    logRetentionDays: 7,
    accessLogExpirationDays: 30,
  },
  // Multi-AZ: three zones and NAT gateways, a primary and two replicas, at least two tasks. More traffic,
  // so the absolute 5xx counts that alarm are higher.
  prod: {
    maxAzs: 3,
    natGateways: 3,
    cacheNodeType: 'cache.m7g.large',
    numCacheClusters: 3,
    cacheReplicasPerShard: 1,
    cacheSnapshotRetentionDays: 1,
    retainCache: true,
    retainSecrets: true,
    taskCpu: 512,
    taskMemoryMiB: 1024,
    minTasks: 2,
    maxTasks: 10,
    logRetentionDays: 90,
    wafEnabled: true,
    alarmElb5xxPerMinute: 25,
    alarmTarget5xxPerMinute: 25,
  },
};

/** Every key that `-c key=value` may set, `stage` included. */
export const CONFIG_KEYS: readonly ConfigKey[] = Object.keys(CONFIG_SHAPE) as ConfigKey[];

/** Environment values bin/app.ts may pass on (the CDK CLI sets them from the profile). */
export interface ConfigEnvironment {
  readonly CDK_DEFAULT_ACCOUNT?: string;
  readonly CDK_DEFAULT_REGION?: string;
}

export class DeploymentConfigError extends Error {
  override name = 'DeploymentConfigError';
}

/** Throws a DeploymentConfigError listing every problem, each naming its key. */
export function throwConfigError(problems: readonly string[]): never {
  throw new DeploymentConfigError(`Invalid deployment config: ${problems.join('; ')}`);
}

/** The config key `name` was most likely meant to be: the same in another case, or an edit or two away (one for short keys). */
export function closestConfigKey(name: string): ConfigKey | undefined {
  return closestName(name, CONFIG_KEYS);
}

/**
 * The config keys of all CDK context, plus keys that look like a misspelt one (`minTask`), so that
 * resolveConfig names them. Other context (feature flags, `aws:cdk:…`, another tool's keys) stays out.
 */
export function configContext(context: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(context).filter(([key]) => (CONFIG_KEYS as readonly string[]).includes(key) || closestConfigKey(key) !== undefined),
  );
}

/** "unknown key …", with the key it most likely means. */
export function unknownKeyProblem(key: string): string {
  const suggestion = closestConfigKey(key);
  return `unknown key ${JSON.stringify(key)}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`;
}

/**
 * Builds the config for `context.stage` (default dev): the defaults, then the stage's preset, then
 * the context's values. Unset or empty context values keep what is below them. Throws one
 * DeploymentConfigError naming every unknown key, bad value or broken rule.
 */
export function resolveConfig(context: Readonly<Record<string, unknown>>, env: ConfigEnvironment = {}): DeploymentConfig {
  const given = Object.fromEntries(Object.entries(context).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  const unknown = Object.keys(given).filter((key) => !(key in CONFIG_SHAPE));
  if (unknown.length > 0) throwConfigError(unknown.map(unknownKeyProblem));

  const picked = z.object({ stage: CONFIG_SHAPE.stage }).safeParse({ stage: given.stage }, { reportInput: true });
  if (!picked.success) throwConfigError(issueMessages(picked.error));
  const { stage } = picked.data;
  const input = {
    region: env.CDK_DEFAULT_REGION || undefined,
    account: env.CDK_DEFAULT_ACCOUNT || undefined,
    ...PRESETS[stage],
    ...given,
    stage,
  };
  const parsed = DEPLOYMENT_CONFIG_SCHEMA.safeParse(input, { reportInput: true });
  if (!parsed.success) throwConfigError(issueMessages(parsed.error));
  const problems = configProblems(parsed.data).filter((p): p is string => p !== undefined);
  if (problems.length > 0) throwConfigError(problems);
  return parsed.data;
}
