import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Template } from 'aws-cdk-lib/assertions';
import { CacheLockFile } from '../../infra/cache-replacement-guard';
import { DeploymentConfig, resolveConfig } from '../../infra/config';
import { addSystem, SystemStacks } from '../../infra/system';

export const ROOT = join(__dirname, '..', '..');
/** The placeholder certificate of .ci/run and the README's prod commands (a real deploy gives its own). */
export const CERT_ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000';
/** Why the tests' prod pages nobody: a subscriber would add resources every prod template in the tests would then carry. */
export const PAGING_UNSET_REASON = 'a test synth: nobody to page';
/**
 * What prod requires besides the preset: browser origins (or a reason for none), a certificate (or a reason for none)
 * and a paging subscriber (or a reason for none).
 */
export const PROD = {
  stage: 'prod',
  corsOrigins: 'https://app.example.com',
  certificateArn: CERT_ARN,
  pagingUnsetReason: PAGING_UNSET_REASON,
} as const;
/** Prod over plain HTTP: no certificate, and the reason prod then needs. */
export const PROD_HTTP = {
  stage: 'prod',
  corsOrigins: 'https://app.example.com',
  insecureHttpReason: 'TLS ends in front of the ALB',
  pagingUnsetReason: PAGING_UNSET_REASON,
} as const;

export function loadCacheLock(): CacheLockFile {
  return JSON.parse(readFileSync(join(ROOT, 'infra', 'replication-group.lock.json'), 'utf8')) as CacheLockFile;
}

export interface Synthesized {
  readonly app: App;
  readonly config: DeploymentConfig;
  readonly stacks: SystemStacks;
  readonly network: Template;
  readonly cache: Template;
  readonly service: Template;
  readonly outdir: string;
}

const outdirs: string[] = [];

export interface SynthOptions {
  /** Lock to guard with; null for none. @default the checked-in lock */
  readonly lock?: CacheLockFile | null;
  /** Changes to the stacks before synthesis (escape hatches, as a later edit would make). */
  readonly mutate?: (stacks: SystemStacks) => void;
}

/**
 * Builds and synthesizes the app as bin/app.ts does (nag included), from context strings, with
 * the region pinned so templates do not depend on the machine.
 */
export function synth(context: Readonly<Record<string, unknown>>, options: SynthOptions = {}): Synthesized {
  return synthConfig(resolveConfig(context, { CDK_DEFAULT_REGION: 'us-east-1' }), options);
}

/** Builds and synthesizes the app of a resolved config, as bin/app.ts does (its image from service/, not bundled). */
export function synthConfig(config: DeploymentConfig, options: SynthOptions = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'infra-test-'));
  outdirs.push(outdir);
  const app = new App({ outdir });
  const lock = options.lock === undefined ? loadCacheLock() : (options.lock ?? undefined);
  const stacks = addSystem(app, config, { imageDirectory: join(ROOT, 'service'), cacheLock: lock });
  options.mutate?.(stacks);
  app.synth();
  return {
    app,
    config,
    stacks,
    network: Template.fromStack(stacks.network),
    cache: Template.fromStack(stacks.cache),
    service: Template.fromStack(stacks.service),
    outdir,
  };
}

/** What the tests read of the service's container definition. */
export interface ContainerDefinition {
  readonly Environment: { Name: string; Value: unknown }[];
  readonly Secrets: { Name: string }[];
}

/** The environment and secrets of the service's one container. */
export function containerEnv(s: Pick<Synthesized, 'service'>): ContainerDefinition {
  return (onlyResource(s.service, 'AWS::ECS::TaskDefinition').Properties.ContainerDefinitions as ContainerDefinition[])[0];
}

/** A stack with what a SocketService needs around it, and the props every case shares. */
export function socketServiceScope() {
  const s = new Stack(new App(), 'S', { env: { region: 'us-east-1' } });
  const vpc = new ec2.Vpc(s, 'Vpc');
  const targetGroup = new elbv2.ApplicationTargetGroup(s, 'Tg', {
    vpc,
    port: 3000,
    protocol: elbv2.ApplicationProtocol.HTTP,
    targetType: elbv2.TargetType.IP,
  });
  const base = {
    vpc,
    securityGroup: new ec2.SecurityGroup(s, 'Sg', { vpc }),
    targetGroup,
    imageDirectory: `${ROOT}/service`,
    redisUrl: 'redis://x:6379',
    metricsServiceName: 'x',
  };
  return { s, base };
}

/** Removes the cloud assemblies written so far. */
export function cleanup(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The one resource of `type` in `template`. */
export function onlyResource(template: Template, type: string): { Properties: Record<string, unknown>; [k: string]: unknown } {
  const found = Object.values(template.findResources(type));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0] as { Properties: Record<string, unknown> };
}

/** The rows of the first table after `heading` in a doc under docs/, by column name. */
export function docTable(file: string, heading: string): Record<string, string>[] {
  const text = readFileSync(join(ROOT, 'docs', file), 'utf8');
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`docs/${file} has no "${heading}"`);
  const lines = text.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const table = lines.slice(
    first,
    lines.findIndex((l, i) => i > first && !l.startsWith('|')),
  );
  // The tables hold no | inside a cell.
  const cells = (line: string) =>
    line
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim());
  const [head, , ...rows] = table.map(cells);
  return rows.map((row) => Object.fromEntries(head.map((name, i) => [name, row[i] ?? ''])));
}

/** How the docs' tables write a value: numbers plain, strings and booleans in backticks, an empty list as "none". */
export function docValue(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.map((v) => `\`${v}\``).join(', ');
  return typeof value === 'number' ? String(value) : `\`${String(value)}\``;
}
