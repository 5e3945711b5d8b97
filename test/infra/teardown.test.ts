import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CERT_ARN, cleanup, PROD, synth, Synthesized } from './helpers';

/** A template as CloudFormation reads it: only what the walk needs. */
interface CfnTemplate {
  readonly Resources?: Record<string, { Type: string; DeletionPolicy?: string; Properties?: unknown }>;
  readonly Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

/**
 * Policies that leave the resource in place when its stack is deleted. Snapshot is not one of
 * them: CloudFormation deletes the resource after the snapshot, and so frees what it uses.
 */
const KEPT = new Set(['Retain', 'RetainExceptOnCreate']);

type Reference = { readonly kind: 'resource'; readonly id: string } | { readonly kind: 'import'; readonly name: string };

/** Every Ref, Fn::GetAtt, Fn::Sub `${…}` and Fn::ImportValue in `value`. */
function references(value: unknown): Reference[] {
  if (Array.isArray(value)) return value.flatMap(references);
  if (value === null || typeof value !== 'object') return [];
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [[key, arg]] = entries;
    if (key === 'Ref' && typeof arg === 'string') return [{ kind: 'resource', id: arg }];
    if (key === 'Fn::GetAtt') {
      const id = Array.isArray(arg) ? arg[0] : typeof arg === 'string' ? arg.split('.')[0] : undefined;
      return typeof id === 'string' ? [{ kind: 'resource', id }] : [];
    }
    if (key === 'Fn::ImportValue' && typeof arg === 'string') return [{ kind: 'import', name: arg }];
    if (key === 'Fn::Sub') {
      const [text, vars] = Array.isArray(arg) ? arg : [arg, {}];
      const named = typeof text === 'string' ? [...text.matchAll(/\$\{([^!}.][^}.]*)[^}]*\}/g)].map((m) => m[1]) : [];
      return [...named.map((id): Reference => ({ kind: 'resource', id })), ...references(vars)];
    }
  }
  return entries.flatMap(([, v]) => references(v));
}

/**
 * What a teardown would fail on: a kept resource that references (in its Properties) a resource
 * that CloudFormation deletes, in its own template or, through an import, in the exporting stack.
 */
function teardownProblems(templates: Record<string, CfnTemplate>): string[] {
  const exporters = new Map<string, { stack: string; ids: string[] }>();
  for (const [stack, t] of Object.entries(templates)) {
    for (const output of Object.values(t.Outputs ?? {})) {
      const name = output.Export?.Name;
      if (typeof name !== 'string') continue;
      const ids = references(output.Value).flatMap((r) => (r.kind === 'resource' ? [r.id] : []));
      exporters.set(name, { stack, ids });
    }
  }
  const policy = (stack: string, id: string) => templates[stack].Resources?.[id]?.DeletionPolicy ?? 'Delete';
  const problems: string[] = [];
  for (const [stack, t] of Object.entries(templates)) {
    for (const [id, resource] of Object.entries(t.Resources ?? {})) {
      if (!KEPT.has(resource.DeletionPolicy ?? 'Delete')) continue;
      const targets = references(resource.Properties).flatMap((r) => {
        if (r.kind === 'resource') return t.Resources?.[r.id] ? [{ stack, id: r.id }] : [];
        const exporter = exporters.get(r.name);
        if (!exporter) throw new Error(`${stack}/${id} imports ${r.name}, which no stack of the stage exports`);
        return exporter.ids.map((target) => ({ stack: exporter.stack, id: target }));
      });
      for (const target of targets) {
        if (KEPT.has(policy(target.stack, target.id))) continue;
        problems.push(
          `${stack}/${id} (${resource.Type}, ${resource.DeletionPolicy}) uses ${target.stack}/${target.id} ` +
            `(${templates[target.stack].Resources?.[target.id]?.Type}, ${policy(target.stack, target.id)})`,
        );
      }
    }
  }
  return [...new Set(problems)].sort();
}

let dev: Synthesized;
let prod: Synthesized;

beforeAll(() => {
  dev = synth({});
  prod = synth({ ...PROD, certificateArn: CERT_ARN });
});
afterAll(cleanup);

const templatesOf = (s: Synthesized): Record<string, CfnTemplate> => ({
  [s.stacks.network.stackName]: s.network.toJSON() as CfnTemplate,
  [s.stacks.cache.stackName]: s.cache.toJSON() as CfnTemplate,
  [s.stacks.service.stackName]: s.service.toJSON() as CfnTemplate,
});

describe.each([
  ['dev', () => dev],
  ['prod', () => prod],
] as const)('teardown (%s)', (_stage, get) => {
  it('retains whatever a retained resource references, in its own stack and through imports', () => {
    expect(teardownProblems(templatesOf(get()))).toEqual([]);
  });
});

describe("the service stack's secrets", () => {
  const secret = (policy: string, description: RegExp) => ({
    DeletionPolicy: policy,
    UpdateReplacePolicy: policy,
    Properties: Match.objectLike({ Description: Match.stringLikeRegexp(description.source) }),
  });

  it('prod retains the HS256 signing secret and the API keys: token issuers and backends hold their values', () => {
    prod.service.hasResource('AWS::SecretsManager::Secret', secret('Retain', /HS256/));
    prod.service.hasResource('AWS::SecretsManager::Secret', secret('Retain', /Backend API keys/));
  });

  it('dev deletes them with the stack', () => {
    dev.service.hasResource('AWS::SecretsManager::Secret', secret('Delete', /Backend API keys/));
  });
});

describe('the teardown check itself', () => {
  it('finds a retained resource that uses a deleted one, directly and through an import', () => {
    const problems = teardownProblems({
      a: {
        Resources: { Vpc: { Type: 'AWS::EC2::VPC' } },
        Outputs: { VpcId: { Value: { Ref: 'Vpc' }, Export: { Name: 'a:VpcId' } } },
      },
      b: {
        Resources: {
          Group: { Type: 'AWS::EC2::SecurityGroup', Properties: { VpcId: { 'Fn::ImportValue': 'a:VpcId' } } },
          Cache: {
            Type: 'AWS::ElastiCache::ReplicationGroup',
            DeletionPolicy: 'Retain',
            Properties: { SecurityGroupIds: [{ 'Fn::GetAtt': ['Group', 'GroupId'] }], Name: { 'Fn::Sub': '${Group}-x' } },
          },
          Kept: { Type: 'AWS::EC2::SecurityGroup', DeletionPolicy: 'Retain', Properties: { VpcId: { 'Fn::ImportValue': 'a:VpcId' } } },
        },
      },
    });
    expect(problems).toEqual([
      'b/Cache (AWS::ElastiCache::ReplicationGroup, Retain) uses b/Group (AWS::EC2::SecurityGroup, Delete)',
      'b/Kept (AWS::EC2::SecurityGroup, Retain) uses a/Vpc (AWS::EC2::VPC, Delete)',
    ]);
  });
});
