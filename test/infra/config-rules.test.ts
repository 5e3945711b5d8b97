import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { CONFIG_FORMATS, DeploymentConfig, resolveConfig } from '../../infra/config';
import { configProblems } from '../../infra/config-rules';
import { CERT_ARN, PROD } from './helpers';
import { LoadBalancer } from '../../infra/load-balancer';
import { Network } from '../../infra/network';
import { SERVICE_LIMITS, ServiceLimits, serviceLimitsEnv } from '../../infra/service-limits';
import { loadConfig } from '../../service/src/config';

/** The problems of the dev config with `changes`, skipping the schema (which would stop some of them first). */
const problems = (changes: Partial<DeploymentConfig>, stage: 'dev' | 'prod' = 'dev') =>
  configProblems({ ...resolveConfig(stage === 'prod' ? PROD : { stage }), ...changes }).filter(Boolean);

describe('config rules', () => {
  it('the presets break none', () => {
    expect(problems({})).toEqual([]);
    expect(problems({}, 'prod')).toEqual([]);
  });

  it('rules spanning constructs name both keys', () => {
    expect(problems({ alarmTaskCpuPercent: 60 })).toEqual([
      expect.stringMatching(/^alarmTaskCpuPercent \(60\) must be above targetCpuPercent \(60\)/),
    ]);
    expect(problems({ pingTimeoutMs: 5_000, alarmEventLoopDelayMs: 5_000 })).toEqual([
      'alarmEventLoopDelayMs must be from 1 to below pingTimeoutMs (5000), got 5000',
    ]);
    expect(problems({ pingIntervalMs: 100_000, pingTimeoutMs: 20_000 })).toEqual([
      expect.stringMatching(/^albIdleTimeoutSeconds \(120 s\) must be above pingIntervalMs \+ pingTimeoutMs \(120 s\)/),
    ]);
  });

  it('prod requires redundancy, TLS and auth', () => {
    expect(problems({ maxAzs: 2, natGateways: 2 }, 'prod')).toEqual(['maxAzs must be at least 3 in prod, got 2']);
    expect(problems({ minTasks: 1 }, 'prod')).toEqual(['minTasks must be at least 2 in prod (one task per failure), got 1']);
    expect(problems({ cacheClusterMode: true, cacheReplicasPerShard: 0 }, 'prod')).toEqual([
      expect.stringMatching(/^cacheReplicasPerShard must be at least 1 in prod/),
    ]);
    // Outside cluster mode the shard keys are not used, so not checked against prod's needs.
    expect(problems({ cacheReplicasPerShard: 0 }, 'prod')).toEqual([]);
    expect(problems({ authMode: 'none' }, 'prod')).toEqual([expect.stringMatching(/^authMode=none in prod needs authDisabledReason/)]);
  });

  it('prod serves HTTPS (certificateArn) or says why not (insecureHttpReason), never both', () => {
    const noCertificate = { certificateArn: undefined };
    expect(problems(noCertificate, 'prod')).toEqual([expect.stringMatching(/^prod needs certificateArn .* or insecureHttpReason/)]);
    expect(problems({ ...noCertificate, insecureHttpReason: 'TLS ends at a proxy in front' }, 'prod')).toEqual([]);
    expect(problems({ insecureHttpReason: 'TLS ends at a proxy in front' }, 'prod')).toEqual([
      expect.stringMatching(/^certificateArn and insecureHttpReason exclude each other/),
    ]);
    // Dev may serve HTTP without saying why.
    expect(problems({})).toEqual([]);
    const { certificateArn: _certificate, ...noCertificateProd } = PROD;
    expect(() => resolveConfig(noCertificateProd)).toThrow(/certificateArn.*insecureHttpReason/);
    expect(() => resolveConfig({ ...PROD, insecureHttpReason: 'x' })).toThrow(/certificateArn and insecureHttpReason exclude each other/);
    expect(resolveConfig({ ...noCertificateProd, insecureHttpReason: 'x' }).certificateArn).toBeUndefined();
  });

  it('the placeholder certificate of CI and the README is a well-formed ACM ARN', () => {
    expect(CERT_ARN).toMatch(CONFIG_FORMATS.certificateArn.pattern);
    expect(resolveConfig({ ...PROD }).certificateArn).toBe(CERT_ARN);
  });

  it("a construct's own rule applies with the message the construct gives, under the config's key names", () => {
    // Network's rule: the same words, whether the construct or the config finds it.
    expect(problems({ maxAzs: 2, natGateways: 3 })).toEqual(['natGateways (3) must be an integer from 0 to maxAzs (2)']);
    expect(() => new Network(new Stack(new App(), 'N'), 'N', { maxAzs: 2, natGateways: 3 })).toThrow(
      'Network: natGateways (3) must be an integer from 0 to maxAzs (2)',
    );
    // LoadBalancer's rule, with the config's names for its two values.
    const stack = new Stack(new App(), 'L', { env: { region: 'us-east-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc');
    expect(
      () =>
        new LoadBalancer(stack, 'Lb', { vpc, targetPort: 3000, idleTimeout: Duration.seconds(45), minIdleTimeout: Duration.seconds(45) }),
    ).toThrow(/^LoadBalancer: idleTimeout \(45 s\) must be above minIdleTimeout \(45 s\), or idle Socket\.IO connections are cut/);
    expect(problems({ albIdleTimeoutSeconds: 45 })).toEqual([
      'albIdleTimeoutSeconds (45 s) must be above pingIntervalMs + pingTimeoutMs (45 s), ' +
        'or idle Socket.IO connections are cut between heartbeats',
    ]);
  });

  it('reports every broken rule, not only the first', () => {
    expect(problems({ minTasks: 3, maxTasks: 2, scaleInCooldownSeconds: 30 })).toEqual([
      'minTasks (3) must be at least 1 and not above maxTasks (2)',
      expect.stringMatching(/^scaleInCooldownSeconds \(30 s\) must be longer than scaleOutCooldownSeconds \(60 s\)/),
    ]);
  });

  it('prod pages someone, or says why not, naming the keys', () => {
    const { pagingUnsetReason: _reason, ...unpaged } = PROD;
    expect(() => resolveConfig(unpaged)).toThrow(
      /prod needs a paging subscriber: alarmEmails or alarmHttpsEndpoints \(a pager's integration URL\), or pagingUnsetReason/,
    );
    expect(resolveConfig({ ...unpaged, alarmEmails: 'oncall@example.com' }).alarmEmails).toEqual(['oncall@example.com']);
    expect(resolveConfig({ ...unpaged, alarmHttpsEndpoints: 'https://events.pagerduty.com/x' }).alarmHttpsEndpoints).toHaveLength(1);
    // Dev may page nobody.
    expect(problems({})).toEqual([]);
  });

  it("a certificate of another region than the stacks' fails synth, naming certificateArn and region", () => {
    const euCertificate = CERT_ARN.replace(':us-east-1:', ':eu-west-1:');
    const message =
      'certificateArn is a certificate of eu-west-1, but the stacks deploy to us-east-1 (region): an ALB takes a certificate ' +
      'of its own region; request or import one in us-east-1';
    expect(problems({ certificateArn: euCertificate })).toEqual([message]);
    expect(problems({ certificateArn: euCertificate }, 'prod')).toEqual([message]);
    expect(() => resolveConfig({ ...PROD, certificateArn: euCertificate })).toThrow(message);
    expect(resolveConfig({ ...PROD, certificateArn: euCertificate, region: 'eu-west-1' }).certificateArn).toBe(euCertificate);
  });

  it.each<[ServiceLimits]>([
    [{}],
    [{ rateLimitPerSocket: 500 }],
    [{ rateLimitPerSocket: 400 }],
    [{ rateLimitPerSocketBurst: 600 }],
    [{ rateLimitPerSocketBurst: 500 }],
    [{ rateLimitDisconnectAfter: 900, connectionPacketsBurst: 2000 }],
    [{ maxHttpBufferBytes: 1_048_576 }],
    [{ maxHttpBufferBytes: 1_048_576, connectionBurstBytes: 1_048_576 }],
    [{ preauthMaxSessionsPerIp: 3000 }],
    [{ preauthMaxSessions: 10, preauthMaxSessionsPerIp: 10 }],
    [{ maxConnectionsPerUser: 3 }],
    [{ maxConnectionsPerUser: 3, maxConnectionsReservedBelow: 3 }],
    [{ maxConnectionsPerGuestIp: 2, maxConnectionsReservedBelow: 3 }],
    [{ maxTcpConnections: 21_999 }],
    [{ maxTcpConnections: 22_000 }],
    [{ maxConnections: 100, preauthMaxSessions: 50, preauthMaxSessionsPerIp: 50, maxTcpConnections: 150 }],
    [{ preauthMaxMessageBytes: 70_000 }],
    [{ preauthMaxMessageBytes: 70_000, maxHttpBufferBytes: 70_000, connectionBurstBytes: 70_000 }],
    [{ partialPacketsMaxBytes: 65_536 }],
    [{ partialPacketsMaxBytes: 65_536, maxHttpBufferBytes: 131_072, connectionBurstBytes: 131_072 }],
  ])('limits %j: synth refuses exactly what the service would refuse at start', (limits) => {
    const context = Object.fromEntries(Object.entries(limits).map(([key, value]) => [key, String(value)]));
    const synthError = catchError(() => resolveConfig(context));
    const serviceError = catchError(() => loadConfig(serviceLimitsEnv(limits) as NodeJS.ProcessEnv));
    expect(synthError === undefined, `synth: ${synthError}; service: ${serviceError}`).toBe(serviceError === undefined);
  });

  it("keeps a task's TCP connections, set or derived, within Fargate's file descriptors (a rule of the deployment only)", () => {
    expect(problems({ maxConnections: 50_000 })).toEqual([
      'maxTcpConnections (65000, derived from maxConnections and preauthMaxSessions) must be at most 64535: a Fargate task has ' +
        '65535 file descriptors and the node needs 1000 of its own; lower maxConnections or preauthMaxSessions, or set ' +
        'maxTcpConnections between their sum and that',
    ]);
    expect(problems({ maxConnections: 50_000, maxTcpConnections: 60_000 })).toEqual([]);
    expect(problems({ maxTcpConnections: 64_536 })).toEqual([expect.stringMatching(/^maxTcpConnections \(64536\) must be at most 64535/)]);
  });

  it('names the limits at fault, with the defaults they meet', () => {
    const packets = SERVICE_LIMITS.connectionPacketsPerS.default;
    expect(problems({ rateLimitPerSocket: packets + 1 })).toEqual([
      `connectionPacketsPerS (${packets}, the default) must be at least rateLimitPerSocket (${packets + 1}), ` +
        'so that a fast client is answered rate_limited before its connection is cut',
    ]);
  });
});

function catchError(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
