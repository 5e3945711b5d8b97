import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cache } from '../../infra/cache';
import {
  CONFIG_KEYS,
  CONFIG_SHAPE,
  configContext,
  DEPLOYMENT_CONFIG_SCHEMA,
  DeploymentConfigError,
  PRESETS,
  resolveConfig,
} from '../../infra/config';
import { LoadBalancer } from '../../infra/load-balancer';
import { MONITORING_THRESHOLDS } from '../../infra/monitoring-thresholds';
import { Network } from '../../infra/network';
import { SocketService } from '../../infra/socket-service';
import { SERVICE_LIMITS } from '../../infra/service-limits';
import { PropsValidationError } from '../../infra/validation';
import { DEFAULT_APP } from '../../tools/bundle';
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_PING_INTERVAL_MS, DEFAULT_PING_TIMEOUT_MS, DEFAULT_PORT } from '../../contract/env';
import { STAGES } from '../../contract/stack';
import { CERT_ARN, docTable, docValue, PROD, socketServiceScope } from './helpers';

const stack = () => new Stack(new App(), 'S', { env: { region: 'us-east-1' } });

describe('deployment config: presets', () => {
  it('dev is cheap: one micro node, one task scaling to two, two AZs', () => {
    const c = resolveConfig({});
    expect(c).toMatchObject({
      stage: 'dev',
      region: 'us-east-1',
      maxAzs: 2,
      natGateways: 0,
      cacheEngine: 'valkey',
      cacheEngineVersion: '8.0',
      cacheNodeType: 'cache.t4g.micro',
      numCacheClusters: 1,
      cacheTls: true,
      minTasks: 1,
      maxTasks: 2,
      cpuArchitecture: 'ARM64',
      containerPort: DEFAULT_PORT,
      pingIntervalMs: DEFAULT_PING_INTERVAL_MS,
      pingTimeoutMs: DEFAULT_PING_TIMEOUT_MS,
      drainTimeoutMs: DEFAULT_DRAIN_TIMEOUT_MS,
      allowCacheReplacement: false,
    });
    expect(c.certificateArn).toBeUndefined();
  });

  it('prod is Multi-AZ: three AZs, a primary and two replicas, at least two tasks', () => {
    const c = resolveConfig({ ...PROD });
    expect(c).toMatchObject({
      stage: 'prod',
      corsOrigins: [PROD.corsOrigins],
      maxAzs: 3,
      numCacheClusters: 3,
      minTasks: 2,
      retainCache: true,
      retainSecrets: true,
      enableExecuteCommand: false,
    });
    expect(c.numCacheClusters).toBeGreaterThanOrEqual(2);
  });

  it('pins one engine version per engine', () => {
    expect(resolveConfig({ cacheEngine: 'redis' }).cacheEngineVersion).toBe('7.1');
    expect(resolveConfig({ cacheEngine: 'redis', cacheEngineVersion: '7.0' }).cacheEngineVersion).toBe('7.0');
  });

  it('takes the region and account the CLI passes, and context over both', () => {
    expect(resolveConfig({}, { CDK_DEFAULT_REGION: 'eu-west-1', CDK_DEFAULT_ACCOUNT: '111122223333' })).toMatchObject({
      region: 'eu-west-1',
      account: '111122223333',
    });
    expect(resolveConfig({ region: 'eu-central-1' }, { CDK_DEFAULT_REGION: 'eu-west-1' }).region).toBe('eu-central-1');
  });

  it('lists every key for bin/app.ts, stage included', () => {
    expect(CONFIG_KEYS).toContain('stage');
    for (const key of Object.keys(PRESETS.dev)) expect(CONFIG_KEYS).toContain(key);
    expect(CONFIG_KEYS).toEqual(expect.arrayContaining(['certificateArn', 'vpcId', 'account', 'region', 'cacheEngineVersion']));
  });
});

describe('deployment config: context strings become typed values', () => {
  it('parses integers, booleans, lists and enums', () => {
    const c = resolveConfig({
      minTasks: '3',
      maxTasks: '8',
      enableExecuteCommand: 'false',
      cacheTls: '1',
      alarmEmails: 'a@b.c, ops@example.com',
      cpuArchitecture: 'X86_64',
      certificateArn: CERT_ARN,
      albIdleTimeoutSeconds: '300',
    });
    expect(c.minTasks).toBe(3);
    expect(c.maxTasks).toBe(8);
    expect(c.enableExecuteCommand).toBe(false);
    expect(c.cacheTls).toBe(true);
    expect(c.alarmEmails).toEqual(['a@b.c', 'ops@example.com']);
    expect(c.cpuArchitecture).toBe('X86_64');
    expect(c.certificateArn).toBe(CERT_ARN);
    expect(c.albIdleTimeoutSeconds).toBe(300);
  });

  it('accepts cdk.json-style numbers and booleans, and treats empty strings as unset', () => {
    const c = resolveConfig({ minTasks: 2, maxTasks: 4, retainCache: true, certificateArn: '' });
    expect(c).toMatchObject({ minTasks: 2, maxTasks: 4, retainCache: true });
    expect(c.certificateArn).toBeUndefined();
  });

  it('rejects values that do not parse, naming the key', () => {
    expect(() => resolveConfig({ minTasks: 'two' })).toThrow(/minTasks must be an integer, got "two"/);
    expect(() => resolveConfig({ cacheTls: 'yes' })).toThrow(/cacheTls must be true or false/);
    expect(() => resolveConfig({ cacheEngine: 'memcached' })).toThrow(/cacheEngine must be one of valkey, redis/);
    expect(() => resolveConfig({ cpuArchitecture: 'arm' })).toThrow(/cpuArchitecture must be one of ARM64, X86_64/);
  });
});

describe('deployment config: invalid combinations fail synth with the setting and what is allowed', () => {
  it('unknown stage', () => {
    expect(() => resolveConfig({ stage: 'staging' })).toThrow(/stage must be one of dev, prod, got "staging"/);
  });

  it('minTasks above maxTasks', () => {
    expect(() => resolveConfig({ minTasks: '3', maxTasks: '2' })).toThrow(/minTasks \(3\) must be at least 1 and not above maxTasks \(2\)/);
  });

  it('numCacheClusters out of 1..6', () => {
    expect(() => resolveConfig({ numCacheClusters: '0' })).toThrow(/numCacheClusters must be from 1 to 6, got 0/);
    expect(() => resolveConfig({ numCacheClusters: '7' })).toThrow(/numCacheClusters must be from 1 to 6, got 7/);
  });

  it('a single cache node in prod', () => {
    expect(() => resolveConfig({ ...PROD, numCacheClusters: '1' })).toThrow(/numCacheClusters must be at least 2 in prod/);
  });

  it('TLS off in prod (allowed in dev)', () => {
    expect(() => resolveConfig({ ...PROD, cacheTls: 'false' })).toThrow(/cacheTls must be true in prod/);
    expect(resolveConfig({ cacheTls: 'false' }).cacheTls).toBe(false);
  });

  it('an ALB idle timeout not above pingInterval + pingTimeout', () => {
    expect(() => resolveConfig({ albIdleTimeoutSeconds: '45' })).toThrow(
      /albIdleTimeoutSeconds \(45 s\) must be above pingIntervalMs \+ pingTimeoutMs \(45 s\)/,
    );
    // The heartbeat is configurable, and the bound follows it.
    expect(() => resolveConfig({ pingIntervalMs: '60000', pingTimeoutMs: '30000', albIdleTimeoutSeconds: '90' })).toThrow(
      /albIdleTimeoutSeconds \(90 s\) must be above pingIntervalMs \+ pingTimeoutMs \(90 s\)/,
    );
    expect(resolveConfig({ albIdleTimeoutSeconds: '46' }).albIdleTimeoutSeconds).toBe(46);
  });

  it('a drain timeout that does not fit ECS stopTimeout (120 s max) with its margin', () => {
    expect(() => resolveConfig({ drainTimeoutMs: '115000' })).toThrow(
      /drainTimeoutMs \(115000 ms\) \+ stopTimeoutMargin \(10000 ms\) must be at most ECS's 120 s stopTimeout: use at most 110000 ms/,
    );
    expect(resolveConfig({ drainTimeoutMs: '110000' }).drainTimeoutMs).toBe(110_000);
  });

  it('scale-in cooldown not longer than scale-out', () => {
    expect(() => resolveConfig({ scaleInCooldownSeconds: '60' })).toThrow(
      /scaleInCooldownSeconds \(60 s\) must be longer than scaleOutCooldownSeconds \(60 s\)/,
    );
  });

  it('Fargate CPU/memory pairs, ports, retention, ARNs, emails, VPC ids', () => {
    expect(() => resolveConfig({ taskCpu: '300' })).toThrow(/taskCpu must be one of 256, 512/);
    expect(() => resolveConfig({ taskCpu: '256', taskMemoryMiB: '4096' })).toThrow(
      /taskMemoryMiB must be one of 512, 1024, 2048 for taskCpu 256/,
    );
    expect(() => resolveConfig({ containerPort: '80' })).toThrow(/containerPort must be from 1024 to 65535/);
    expect(() => resolveConfig({ logRetentionDays: '10' })).toThrow(/logRetentionDays must be one of 1, 3, 5, 7, 14/);
    expect(() => resolveConfig({ certificateArn: 'my-cert' })).toThrow(/certificateArn must be an ACM certificate ARN/);
    expect(() => resolveConfig({ alarmEmails: 'ops' })).toThrow(/alarmEmails must be comma-separated email addresses/);
    expect(() => resolveConfig({ vpcId: 'vpc-0123456789abcdef0' })).toThrow(/vpcId needs an explicit account/);
    expect(() => resolveConfig({ appName: 'Chat--App' })).toThrow(/appName must be 2-31 lowercase letters/);
    expect(() => resolveConfig({ natGateways: '3' })).toThrow(/natGateways \(3\) must be an integer from 0 to maxAzs \(2\)/);
  });
});

describe('constructs reject bad prop combinations, naming the props', () => {
  it('Cache: numCacheClusters and replicationGroupId', () => {
    const s = stack();
    const vpc = new ec2.Vpc(s, 'Vpc');
    const clientSecurityGroup = new ec2.SecurityGroup(s, 'Sg', { vpc });
    expect(() => new Cache(s, 'C1', { vpc, clientSecurityGroup, replicationGroupId: 'chat', numCacheClusters: 7 })).toThrow(
      /Cache: numCacheClusters must be an integer from 1 to 6/,
    );
    expect(() => new Cache(s, 'C2', { vpc, clientSecurityGroup, replicationGroupId: 'Chat--1' })).toThrow(
      /Cache: replicationGroupId must be/,
    );
  });

  it('LoadBalancer: idleTimeout not above minIdleTimeout; sslPolicy without certificate', () => {
    const s = stack();
    const vpc = new ec2.Vpc(s, 'Vpc');
    expect(
      () => new LoadBalancer(s, 'L1', { vpc, targetPort: 3000, idleTimeout: Duration.seconds(40), minIdleTimeout: Duration.seconds(45) }),
    ).toThrow(/LoadBalancer: idleTimeout \(40 s\) must be above minIdleTimeout \(45 s\)/);
    expect(() => new LoadBalancer(s, 'L2', { vpc, targetPort: 3000, sslPolicy: elbv2.SslPolicy.TLS13_13 })).toThrow(
      /LoadBalancer: sslPolicy needs certificateArn/,
    );
  });

  it('SocketService: drainTimeout + stopTimeoutMargin above 120 s; cooldowns', () => {
    const { s, base } = socketServiceScope();
    expect(() => new SocketService(s, 'S1', { ...base, drainTimeout: Duration.seconds(115) })).toThrow(
      /SocketService: drainTimeout \(115000 ms\) \+ stopTimeoutMargin \(10000 ms\) must be at most ECS's 120 s stopTimeout/,
    );
    expect(
      () => new SocketService(s, 'S2', { ...base, scaleInCooldown: Duration.seconds(30), scaleOutCooldown: Duration.seconds(60) }),
    ).toThrow(/SocketService: scaleInCooldown \(30 s\) must be longer than scaleOutCooldown \(60 s\)/);
  });

  it('Network: natGateways above maxAzs; existingVpcId with created-VPC props', () => {
    const s = stack();
    expect(() => new Network(s, 'N1', { maxAzs: 2, natGateways: 3 })).toThrow(
      /Network: natGateways \(3\) must be an integer from 0 to maxAzs \(2\)/,
    );
    expect(() => new Network(s, 'N2', { existingVpcId: 'vpc-0123456789abcdef0', maxAzs: 3 })).toThrow(
      /Network: existingVpcId cannot be combined with maxAzs/,
    );
  });
});

describe('deployment config: one home per key', () => {
  it('each key has a one-line doc and a type that rejects what is not one', () => {
    for (const key of CONFIG_KEYS) {
      const schema = CONFIG_SHAPE[key];
      expect(schema.description, key).toMatch(/^[A-Z][^\n]{9,119}$/);
      expect(schema.safeParse(Symbol('junk')).success, key).toBe(false);
      expect(schema.safeParse({ not: 'a value' }).success, key).toBe(false);
    }
  });

  it('a preset holds only what its stage changes: no default repeated, no value every stage shares', () => {
    const defaults: Record<string, unknown> = DEPLOYMENT_CONFIG_SCHEMA.parse({});
    for (const stage of STAGES) {
      for (const [key, value] of Object.entries(PRESETS[stage])) expect(value, `${stage}.${key}`).not.toEqual(defaults[key]);
    }
    const [first, ...rest] = STAGES.map((stage) => PRESETS[stage] as Record<string, unknown>);
    for (const [key, value] of Object.entries(first)) {
      if (rest.every((preset) => key in preset))
        expect(
          rest.map((preset) => preset[key]).every((v) => v === value),
          key,
        ).toBe(false);
    }
  });

  it('an unset key takes what is below it: the default, or the preset', () => {
    const prod = resolveConfig({ ...PROD });
    expect(prod.targetCpuPercent).toBe(DEPLOYMENT_CONFIG_SCHEMA.parse({}).targetCpuPercent);
    expect(prod.minTasks).toBe(PRESETS.prod.minTasks);
    expect(resolveConfig({ ...PROD, minTasks: '3' }).minTasks).toBe(3);
  });
});

describe('docs/deploy.md', () => {
  it("lists every key but the alarm levels once, with the schema's default and what each preset changes", () => {
    const rows = docTable('deploy.md', '### Configuration');
    const defaults: Record<string, unknown> = DEPLOYMENT_CONFIG_SCHEMA.parse({});
    const documented = rows.map((row) => row.key.replace(/^`|`$/g, ''));
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(CONFIG_KEYS.filter((key) => !(key in MONITORING_THRESHOLDS)).sort());
    for (const row of rows) {
      const key = row.key.replace(/^`|`$/g, '');
      const schema = CONFIG_SHAPE[key as keyof typeof CONFIG_SHAPE];
      // Keys whose default is unset or derived say so in words.
      if (schema.safeParse(undefined).data !== undefined) expect(row.default, key).toContain(docValue(defaults[key]));
      for (const stage of STAGES) {
        const preset = PRESETS[stage] as Record<string, unknown>;
        expect(row[stage], `${stage}.${key}`).toBe(key in preset ? docValue(preset[key]) : '');
      }
    }
  });

  it("gives each platform limit the service's variable and default, and the app key the default app", () => {
    const rows = new Map(docTable('deploy.md', '### Configuration').map((row) => [row.key.replace(/^`|`$/g, ''), row]));
    for (const [key, spec] of Object.entries(SERVICE_LIMITS)) {
      expect(rows.get(key)?.default, key).toBe(`unset: the service's \`${spec.variable}\`, ${spec.default}`);
    }
    expect(rows.get('app')?.default).toContain(`\`${DEFAULT_APP}\``);
  });
});

describe("deployment config: a construct's default reaches every stage that leaves the key unset", () => {
  afterEach(() => {
    vi.doUnmock('../../infra/socket-service');
    vi.doUnmock('../../infra/load-balancer');
    vi.resetModules();
  });

  it('SocketService: a new targetCpuPercent default changes the scaling policy of dev and prod', async () => {
    vi.resetModules();
    vi.doMock('../../infra/socket-service', async (importOriginal) => {
      const actual = await importOriginal<typeof import('../../infra/socket-service')>();
      return { ...actual, SOCKET_SERVICE_DEFAULTS: { ...actual.SOCKET_SERVICE_DEFAULTS, targetCpuPercent: 55 } };
    });
    const { synth, cleanup } = await import('./helpers');
    const { Match } = await import('aws-cdk-lib/assertions');
    try {
      for (const stage of STAGES) {
        synth(stage === 'prod' ? PROD : { stage }).service.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
          TargetTrackingScalingPolicyConfiguration: Match.objectLike({
            PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
            TargetValue: 55,
          }),
        });
      }
    } finally {
      cleanup();
    }
  }, 120_000);

  it('LoadBalancer: a new stickiness default is the config value of every stage', async () => {
    vi.resetModules();
    vi.doMock('../../infra/load-balancer', async (importOriginal) => {
      const actual = await importOriginal<typeof import('../../infra/load-balancer')>();
      return { ...actual, LOAD_BALANCER_DEFAULTS: { ...actual.LOAD_BALANCER_DEFAULTS, stickinessDuration: Duration.hours(2) } };
    });
    const config = await import('../../infra/config');
    for (const stage of STAGES) expect(config.resolveConfig(stage === 'prod' ? PROD : { stage }).stickinessDurationSeconds).toBe(7200);
  });
});

describe('deployment config: unknown keys and bad values', () => {
  it('an unknown key fails, naming it and the key it most likely means', () => {
    expect(() => resolveConfig({ minTask: '3' })).toThrow(/unknown key "minTask" \(did you mean minTasks\?\)/);
    expect(() => resolveConfig({ CacheNodeType: 'cache.t4g.small' })).toThrow(
      /unknown key "CacheNodeType" \(did you mean cacheNodeType\?\)/,
    );
    expect(() => resolveConfig({ colour: 'blue' })).toThrow(/unknown key "colour"$/);
  });

  it("bin/app.ts passes on the config keys and the misspelt ones, not the CDK's own context", () => {
    const context = {
      '@aws-cdk/core:defaultCrossStackReferences': 'strong',
      'aws:cdk:version-reporting': false,
      ...PROD,
      minTask: 3,
      tags: 'x',
    };
    expect(configContext(context)).toEqual({ ...PROD, minTask: 3 });
  });

  it('one DeploymentConfigError names every bad key', () => {
    const attempt = () => resolveConfig({ minTasks: 'two', cacheTls: 'yes' });
    expect(attempt).toThrow(DeploymentConfigError);
    expect(attempt).toThrow(/^Invalid deployment config: .*cacheTls must be true or false, got "yes"/);
    expect(attempt).toThrow(/minTasks must be an integer, got "two"/);
  });
});

describe('constructs check their own props, naming them (ValidationError-style)', () => {
  it('Network: maxAzs within 2..6', () => {
    expect(() => new Network(stack(), 'N', { maxAzs: 1, natGateways: 1 })).toThrow(
      /^Network: maxAzs must be an integer from 2 to 6, got 1$/,
    );
    expect(() => new Network(stack(), 'N', { maxAzs: 1 })).toThrow(PropsValidationError);
  });

  it('Cache: windows, snapshot days, node type', () => {
    const s = stack();
    const vpc = new ec2.Vpc(s, 'Vpc');
    const base = { vpc, clientSecurityGroup: new ec2.SecurityGroup(s, 'Sg', { vpc }), replicationGroupId: 'chat' };
    expect(() => new Cache(s, 'C1', { ...base, maintenanceWindow: 'sunday' })).toThrow(
      /Cache: maintenanceWindow must be ddd:hh:mm-ddd:hh:mm \(UTC\), got "sunday"/,
    );
    expect(() => new Cache(s, 'C2', { ...base, snapshotRetentionDays: 36 })).toThrow(
      /Cache: snapshotRetentionDays must be an integer from 0 to 35, got 36/,
    );
    expect(() => new Cache(s, 'C3', { ...base, nodeType: 't4g.micro' })).toThrow(/Cache: nodeType must be an ElastiCache node type/);
  });

  it('SocketService: a non-root port, a Fargate size', () => {
    const { s, base } = socketServiceScope();
    expect(() => new SocketService(s, 'S1', { ...base, containerPort: 80 })).toThrow(
      /SocketService: containerPort must be an integer from 1024 to 65535 \(a non-root container cannot bind below 1024\), got 80/,
    );
    expect(() => new SocketService(s, 'S2', { ...base, cpu: 256, memoryLimitMiB: 4096 })).toThrow(
      /SocketService: memoryLimitMiB must be one of 512, 1024, 2048 for cpu 256, got 4096/,
    );
  });

  it('LoadBalancer: stickiness within what the ALB accepts', () => {
    const s = stack();
    const vpc = new ec2.Vpc(s, 'Vpc');
    expect(() => new LoadBalancer(s, 'L', { vpc, targetPort: 3000, stickinessDuration: Duration.days(8) })).toThrow(
      /LoadBalancer: stickinessDuration \(s\) must be an integer from 1 to 604800, got 691200/,
    );
  });
});
