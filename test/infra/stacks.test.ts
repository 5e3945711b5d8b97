import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE, SERVICE_DIMENSION, SERVICE_METRICS } from '../../contract/metrics';
import { CERT_ARN, cleanup, onlyResource, synth, Synthesized, PROD, ROOT } from './helpers';

let dev: Synthesized;
let prod: Synthesized;

beforeAll(() => {
  dev = synth({});
  prod = synth({ ...PROD });
});
afterAll(cleanup);

const env = (name: string, value: unknown) => Match.objectLike({ Name: name, Value: value });

// Dev has no NAT gateway (its tasks run in the public subnets), so no private-with-egress subnets either.
describe.each([
  ['dev', () => dev, { azs: 2, nats: 0, subnetTypes: 2 }],
  ['prod', () => prod, { azs: 3, nats: 3, subnetTypes: 3 }],
] as const)('network stack (%s)', (_stage, get, expected) => {
  it('has public and isolated subnets in every AZ, private-with-egress ones where there are NAT gateways', () => {
    const t = get().network;
    t.resourceCountIs('AWS::EC2::VPC', 1);
    t.resourceCountIs('AWS::EC2::Subnet', expected.azs * expected.subnetTypes);
    t.resourceCountIs('AWS::EC2::NatGateway', expected.nats);
    t.hasResourceProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true });
    t.hasResourceProperties('AWS::EC2::Subnet', {
      Tags: Match.arrayWith([Match.objectLike({ Key: 'aws-cdk:subnet-type', Value: 'Isolated' })]),
    });
    const privateSubnets = t.findResources('AWS::EC2::Subnet', {
      Properties: { Tags: Match.arrayWith([Match.objectLike({ Key: 'aws-cdk:subnet-type', Value: 'Private' })]) },
    });
    expect(Object.keys(privateSubnets)).toHaveLength(expected.nats > 0 ? expected.azs : 0);
    // Zones come from Fn::GetAZs at deploy time, never from a lookup at synth.
    t.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: { 'Fn::Select': [expected.azs - 1, { 'Fn::GetAZs': '' }] } });
  });

  it('logs rejected flows and owns the service security group', () => {
    const t = get().network;
    t.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT', LogDestinationType: 'cloud-watch-logs' });
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('Socket.IO tasks'),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0' })],
    });
  });
});

describe('cache stack', () => {
  it.each([
    ['dev', () => dev, { nodeType: 'cache.t4g.micro', nodes: 1, multiAz: false, snapshots: 0 }],
    ['prod', () => prod, { nodeType: 'cache.m7g.large', nodes: 3, multiAz: true, snapshots: 1 }],
  ] as const)('%s: a TLS + AUTH, encrypted, pinned replication group', (stage, get, e) => {
    get().cache.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      ReplicationGroupId: `socketio-${stage}`,
      Engine: 'valkey',
      EngineVersion: '8.0',
      CacheNodeType: e.nodeType,
      NumCacheClusters: e.nodes,
      AutomaticFailoverEnabled: e.multiAz,
      MultiAZEnabled: e.multiAz,
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
      Port: 6379,
      AuthToken: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: Match.anyValue() }, ':SecretString:::}}']] },
      CacheSubnetGroupName: { Ref: Match.anyValue() },
      SecurityGroupIds: [{ 'Fn::GetAtt': [Match.anyValue(), 'GroupId'] }],
      PreferredMaintenanceWindow: 'sun:05:00-sun:06:00',
      SnapshotRetentionLimit: e.snapshots,
      LogDeliveryConfigurations: [
        Match.objectLike({
          LogType: 'slow-log',
          DestinationType: 'cloudwatch-logs',
          DestinationDetails: { CloudWatchLogsDetails: { LogGroup: { Ref: Match.anyValue() } } },
        }),
      ],
    });
  });

  it('generates the AUTH token and the next one within ElastiCache rules (no punctuation, no spaces, 64 chars)', () => {
    dev.cache.resourceCountIs('AWS::SecretsManager::Secret', 2);
    dev.cache.allResourcesProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ ExcludePunctuation: true, IncludeSpace: false, PasswordLength: 64 }),
    });
  });

  it('places the subnet group on the isolated subnets', () => {
    const subnetIds = onlyResource(dev.cache, 'AWS::ElastiCache::SubnetGroup').Properties.SubnetIds as unknown[];
    expect(subnetIds).toHaveLength(2);
    expect(JSON.stringify(subnetIds)).toMatch(/VpccacheSubnet1/);
    expect(JSON.stringify(subnetIds)).toMatch(/VpccacheSubnet2/);
  });

  it('admits only the service security group, on 6379, and nothing out', () => {
    const t = prod.cache;
    t.resourceCountIs('AWS::EC2::SecurityGroupIngress', 1);
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 6379,
      ToPort: 6379,
      SourceSecurityGroupId: { 'Fn::ImportValue': Match.stringLikeRegexp('ServiceSecurityGroup') },
    });
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })],
    });
  });

  it('retains the group and its secret in prod, deletes them in dev', () => {
    prod.cache.hasResource('AWS::ElastiCache::ReplicationGroup', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    prod.cache.allResources('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
    dev.cache.hasResource('AWS::ElastiCache::ReplicationGroup', { DeletionPolicy: 'Delete' });
  });

  it('outputs the primary endpoint and the ARNs of the two AUTH token secrets', () => {
    prod.cache.hasOutput('RedisPrimaryEndpoint', {
      Value: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.anyValue(), 'PrimaryEndPoint.Address'] }, ':', Match.anyValue()]] },
    });
    prod.cache.hasOutput('AuthSecretArn', { Value: { Ref: Match.stringLikeRegexp('^CacheAuthToken(?!Next)') } });
    prod.cache.hasOutput('AuthNextSecretArn', { Value: { Ref: Match.stringLikeRegexp('^CacheAuthTokenNext') } });
  });

  it('is stateful and alone: no service resources, and service settings leave its template untouched', () => {
    const types = Object.values(prod.cache.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type);
    expect(types.filter((t) => /ECS|ElasticLoadBalancing|ApplicationAutoScaling/.test(t))).toEqual([]);
    const changed = synth({
      ...PROD,
      minTasks: '4',
      taskCpu: '1024',
      taskMemoryMiB: '2048',
      logLevel: 'debug',
      cpuArchitecture: 'X86_64',
      drainTimeoutMs: '30000',
    });
    expect(changed.cache.toJSON()).toEqual(prod.cache.toJSON());
  });

  it('switches to redis with its own pinned version', () => {
    const redis = synth({ cacheEngine: 'redis' }, { lock: null });
    redis.cache.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { Engine: 'redis', EngineVersion: '7.1' });
  });
});

describe.each([
  // delay: the deregistration delay of maxTasks' poll interval (test/infra/task-drain.test.ts).
  ['dev', () => dev, { cpu: '256', memory: '512', exec: true, min: 1, max: 2, retention: 7, publicIp: 'ENABLED', delay: '84' }],
  ['prod', () => prod, { cpu: '512', memory: '1024', exec: false, min: 2, max: 10, retention: 90, publicIp: 'DISABLED', delay: '124' }],
] as const)('service stack (%s)', (stage, get, e) => {
  it('runs the cluster with Container Insights at the standard level: the service-level task counts on-call reads', () => {
    get().service.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });

  it('defines a non-root, read-only ARM64 task with the service environment and the AUTH secret', () => {
    get().service.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: e.cpu,
      Memory: e.memory,
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [
        Match.objectLike({
          User: '65532',
          ReadonlyRootFilesystem: true,
          StopTimeout: 30,
          PortMappings: [Match.objectLike({ ContainerPort: 3000 })],
          Environment: Match.arrayWith([
            env('PORT', '3000'),
            env('REDIS_URL', {
              'Fn::Join': [
                '',
                [
                  'rediss://',
                  { 'Fn::ImportValue': Match.stringLikeRegexp('PrimaryEndPointAddress') },
                  ':',
                  { 'Fn::ImportValue': Match.stringLikeRegexp('PrimaryEndPointPort') },
                ],
              ],
            }),
            env('DRAIN_TIMEOUT_MS', '20000'),
            env('PING_INTERVAL_MS', '25000'),
            env('PING_TIMEOUT_MS', '20000'),
            env('METRICS_ENABLED', 'true'),
            env('METRICS_SERVICE_NAME', `socketio-${stage}`),
            env('LOG_LEVEL', 'info'),
          ]),
          Secrets: Match.arrayWith([
            { Name: 'REDIS_PASSWORD', ValueFrom: { 'Fn::ImportValue': Match.stringLikeRegexp('CacheAuthToken(?!Next)') } },
            // The token after the next rotation (docs/runbooks/redis-auth-rotation.md).
            { Name: 'REDIS_PASSWORD_NEXT', ValueFrom: { 'Fn::ImportValue': Match.stringLikeRegexp('CacheAuthTokenNext') } },
          ]),
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs', Options: Match.objectLike({ mode: 'non-blocking' }) }),
        }),
      ],
    });
    get().service.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: e.retention });
  });

  it('deploys safely: circuit breaker with rollback, 100/200 %, grace period, no fixed desired count', () => {
    get().service.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      DesiredCount: Match.absent(),
      EnableExecuteCommand: e.exec,
      HealthCheckGracePeriodSeconds: 60,
      DeploymentConfiguration: Match.objectLike({
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      }),
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: e.publicIp }) },
      LoadBalancers: [Match.objectLike({ ContainerName: 'socketio', ContainerPort: 3000 })],
    });
  });

  it('lets the task role publish metrics to its namespace only, and read its target health', () => {
    const t = get().service;
    const taskRolePolicies = t.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('TaskRole') } });
    const statements = Object.values(taskRolePolicies).flatMap(
      (p) => (p as { Properties: { PolicyDocument: { Statement: { Action: unknown }[] } } }).Properties.PolicyDocument.Statement,
    );
    expect(statements).toContainEqual({
      Action: 'cloudwatch:PutMetricData',
      Effect: 'Allow',
      Resource: '*',
      Condition: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
    });
    // The drain signal (infra/task-drain.ts): read-only, and ELB's Describe* actions take no resource ARNs.
    expect(statements).toContainEqual({ Action: 'elasticloadbalancing:DescribeTargetHealth', Effect: 'Allow', Resource: '*' });
    const known = ['cloudwatch:PutMetricData', 'elasticloadbalancing:DescribeTargetHealth'];
    const other = statements.filter((s) => !known.includes(s.Action as string));
    // ECS Exec, when on, adds only its ssmmessages channels: no session log (test/infra/ecs-exec.test.ts).
    expect(other.flatMap((s) => [s.Action].flat() as string[]).every((action) => action.startsWith('ssmmessages:'))).toBe(true);
    expect(other.length > 0).toBe(e.exec);
  });

  it('fronts the tasks with a public ALB: idle timeout, invalid headers dropped, access logs', () => {
    get().service.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'idle_timeout.timeout_seconds', Value: '120' },
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    });
    get().service.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: stage === 'prod' ? 90 : 30, Status: 'Enabled' })] },
    });
    get().service.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it("uses a sticky target group health-checked on /readyz, deregistering over the drain's detection and spread", () => {
    get().service.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 3000,
      Protocol: 'HTTP',
      TargetType: 'ip',
      HealthCheckPath: '/readyz',
      Matcher: { HttpCode: '200' },
      TargetGroupAttributes: Match.arrayWith([
        { Key: 'deregistration_delay.timeout_seconds', Value: e.delay },
        { Key: 'stickiness.enabled', Value: 'true' },
        { Key: 'stickiness.type', Value: 'lb_cookie' },
        { Key: 'stickiness.lb_cookie.duration_seconds', Value: '345' },
      ]),
    });
  });

  it('lets only the ALB reach the tasks, on the container port', () => {
    get().service.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 3000,
      ToPort: 3000,
      GroupId: { 'Fn::ImportValue': Match.stringLikeRegexp('ServiceSecurityGroup') },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('AlbSecurityGroup'), 'GroupId'] },
    });
  });

  it('scales between min and max on CPU and on connections per task, scaling in slower', () => {
    const t = get().service;
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: e.min, MaxCapacity: e.max });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        TargetValue: 60,
        ScaleOutCooldown: 60,
        ScaleInCooldown: 300,
      },
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: {
        CustomizedMetricSpecification: {
          Namespace: METRICS_NAMESPACE,
          MetricName: SERVICE_METRICS.connectedClients.name,
          Dimensions: [{ Name: SERVICE_DIMENSION, Value: `socketio-${stage}` }],
          Statistic: 'Average',
        },
        TargetValue: 2000,
        ScaleOutCooldown: 60,
        ScaleInCooldown: 300,
      },
    });
  });
});

describe('listeners', () => {
  it('dev without a certificate: HTTP forwards to the targets, URL is http://', () => {
    dev.service.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    dev.service.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [Match.objectLike({ Type: 'forward' })],
    });
    dev.service.hasOutput('ServiceUrl', { Value: { 'Fn::Join': ['', ['http://', Match.anyValue()]] } });
  });

  it('prod with a certificate: HTTPS with a TLS 1.3 policy, HTTP redirects, URL is https://', () => {
    prod.service.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: CERT_ARN }],
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      DefaultActions: [Match.objectLike({ Type: 'forward' })],
    });
    prod.service.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
    });
    prod.service.hasOutput('ServiceUrl', { Value: { 'Fn::Join': ['', ['https://', Match.anyValue()]] } });
  });
});

describe('overrides reach the templates', () => {
  let custom: Synthesized;
  beforeAll(() => {
    custom = synth(
      {
        cpuArchitecture: 'X86_64',
        enableExecuteCommand: 'false',
        pingIntervalMs: '30000',
        pingTimeoutMs: '30000',
        albIdleTimeoutSeconds: '90',
        drainTimeoutMs: '45000',
        stickinessDurationSeconds: '3600',
        logLevel: 'debug',
        cacheTls: 'false',
      },
      { lock: null },
    );
  });

  it('X86_64 sets the runtime platform and builds the image for linux/amd64', () => {
    custom.service.hasResourceProperties('AWS::ECS::TaskDefinition', { RuntimePlatform: Match.objectLike({ CpuArchitecture: 'X86_64' }) });
    const assets = JSON.parse(readFileSync(join(custom.outdir, `${custom.stacks.service.artifactId}.assets.json`), 'utf8')) as {
      dockerImages: Record<string, { source: { platform?: string; dockerFile?: string } }>;
    };
    expect(Object.values(assets.dockerImages).map((i) => i.source)).toEqual([
      expect.objectContaining({ platform: 'linux/amd64', dockerFile: 'Dockerfile' }),
    ]);
    const arm = JSON.parse(readFileSync(join(dev.outdir, `${dev.stacks.service.artifactId}.assets.json`), 'utf8')) as typeof assets;
    expect(Object.values(arm.dockerImages)[0].source.platform).toBe('linux/arm64');
  });

  it('passes the heartbeat and drain to the container and aligns the ALB with them', () => {
    const t = custom.service;
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          StopTimeout: 55,
          Environment: Match.arrayWith([
            env('DRAIN_TIMEOUT_MS', '45000'),
            env('PING_INTERVAL_MS', '30000'),
            env('PING_TIMEOUT_MS', '30000'),
            env('LOG_LEVEL', 'debug'),
          ]),
        }),
      ],
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'idle_timeout.timeout_seconds', Value: '90' }]),
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetGroupAttributes: Match.arrayWith([
        // The delay follows the drain's poll and spread (default 30 s), not the SIGTERM bound: see test/infra/task-drain.test.ts.
        { Key: 'deregistration_delay.timeout_seconds', Value: '84' },
        { Key: 'stickiness.lb_cookie.duration_seconds', Value: '3600' },
      ]),
    });
    t.hasResourceProperties('AWS::ECS::Service', { EnableExecuteCommand: false });
  });

  it('without TLS (dev only) the URL is redis:// and there is no AUTH secret', () => {
    custom.cache.resourceCountIs('AWS::SecretsManager::Secret', 0);
    custom.cache.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      TransitEncryptionEnabled: false,
      AuthToken: Match.absent(),
    });
    const task = onlyResource(custom.service, 'AWS::ECS::TaskDefinition');
    const [container] = task.Properties.ContainerDefinitions as {
      Secrets?: { Name: string }[];
      Environment: { Name: string; Value: unknown }[];
    }[];
    // Only the API keys: no REDIS_PASSWORD.
    expect(container.Secrets?.map((s) => s.Name)).toEqual(['API_KEYS']);
    expect(JSON.stringify(container.Environment.find((v) => v.Name === 'REDIS_URL'))).toContain('redis://');
  });
});

describe('public properties for the monitoring construct', () => {
  it('exposes the service, target group, load balancer and the cache facts', () => {
    const { cache, service } = prod.stacks;
    expect(service.service.serviceName).toBeDefined();
    expect(service.targetGroup.targetGroupFullName).toBeDefined();
    expect(service.loadBalancer.loadBalancerFullName).toBeDefined();
    expect(service.metricsServiceName).toBe('socketio-prod');
    expect(cache.replicationGroupId).toBe('socketio-prod');
    expect(cache.nodeType).toBe('cache.m7g.large');
    expect(cache.numCacheClusters).toBe(3);
    expect(Template.fromStack(cache).toJSON()).toBeDefined();
  });
});

/** A cell of the cost table's row for `item`: 1 = what drives the cost, 2 = dev, 3 = prod. */
function costCell(item: string, column: 1 | 2 | 3): string {
  const row = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8')
    .split('\n')
    .find((line) => line.startsWith(`| ${item} |`));
  if (!row) throw new Error(`docs/deploy.md has no cost row "${item}"`);
  return row.split('|').map((cell) => cell.trim())[column + 1];
}

const count = (s: Synthesized, type: string) =>
  [s.network, s.cache, s.service].reduce((n, t) => n + Object.keys(t.findResources(type)).length, 0);

describe('docs/deploy.md cost table', () => {
  it('prices the alarms the templates create and the Container Insights level the cluster runs', () => {
    const drives = costCell('CloudWatch', 1);
    expect(drives).toContain(`${count(dev, 'AWS::CloudWatch::Alarm')} in dev, ${count(prod, 'AWS::CloudWatch::Alarm')} in prod`);
    expect(drives).toContain(`$0.50 for the composite`);
    expect(count(prod, 'AWS::CloudWatch::CompositeAlarm')).toBe(1);
    expect(drives).toContain(`custom metrics (${Object.keys(SERVICE_METRICS).length} × $0.30)`);
    const level = (s: Synthesized) =>
      (onlyResource(s.service, 'AWS::ECS::Cluster').Properties.ClusterSettings as { Value: string }[])[0].Value;
    // The standard level is priced as what it is, custom metrics; the enhanced one would need its own pricing.
    expect([level(dev), level(prod)]).toEqual(['enabled', 'enabled']);
    expect(drives).toMatch(/Container Insights \(standard, not enhanced: (\d+) metrics × \$0\.30 = \$(\d+\.\d\d) per cluster\)/);
    const [, metrics, dollars] = /Container Insights \(standard, not enhanced: (\d+) metrics × \$0\.30 = \$(\d+\.\d\d)/.exec(drives)!;
    expect((Number(metrics) * 0.3).toFixed(2)).toBe(dollars);
  });

  it("prices prod's cross-AZ transfer of the Redis fan-out from the template's zones and task range", () => {
    const range = (s: Synthesized) => {
      const t = onlyResource(s.service, 'AWS::ApplicationAutoScaling::ScalableTarget').Properties;
      return [t.MinCapacity as number, t.MaxCapacity as number];
    };
    const zones = (s: Synthesized) =>
      new Set(
        Object.values(s.network.findResources('AWS::EC2::Subnet')).map((r) =>
          JSON.stringify((r as { Properties: { AvailabilityZone: unknown } }).Properties.AvailabilityZone),
        ),
      ).size;
    // Per million 200-byte messages: to the primary from the tasks outside its zone, and back to every such task,
    // $0.01 per GB on each side of a zone boundary.
    const perMillion = (azs: number, tasks: number) => (((0.2 * (azs - 1)) / azs) * (1 + tasks) * 0.02).toFixed(3);
    const [prodMin, prodMax] = range(prod);
    expect(zones(prod)).toBe(3);
    expect(costCell('Cross-AZ transfer (Redis fan-out)', 3)).toBe(
      `≈ $${perMillion(3, prodMin)} per million 200-byte messages at ${prodMin} tasks, $${perMillion(3, prodMax)} at ${prodMax}`,
    );
    const [devMin] = range(dev);
    expect(costCell('Cross-AZ transfer (Redis fan-out)', 2)).toBe(
      `≈ $${perMillion(zones(dev), devMin)} per million 200-byte messages at ${devMin} task`,
    );
  });

  it('counts the Secrets Manager secrets each stage creates', () => {
    const row = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8')
      .split('\n')
      .find((line) => line.startsWith('| Secrets Manager |'));
    const [, , , devCell, prodCell] = (row ?? '').split('|').map((cell) => cell.trim());
    const secrets = (s: Synthesized) => count(s, 'AWS::SecretsManager::Secret');
    expect(devCell).toMatch(new RegExp(`^${secrets(dev)} secrets .*≈ \\$${(secrets(dev) * 0.4).toFixed(2)}$`));
    expect(prodCell).toMatch(new RegExp(`^${secrets(prod)} secrets .*≈ \\$${(secrets(prod) * 0.4).toFixed(2)}$`));
  });
});
