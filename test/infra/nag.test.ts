import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNagChecks, nagFindings } from '../../infra/nag';
import { cleanup, ROOT, synth, Synthesized, PROD, PROD_HTTP } from './helpers';

afterAll(cleanup);

describe('cdk-nag AwsSolutions', () => {
  const variants: Record<string, Synthesized> = {};
  beforeAll(() => {
    // synth() registers the pack as bin/app.ts does: an unacknowledged error would throw here.
    variants.dev = synth({});
    variants.prod = synth({ ...PROD });
    variants['prod over HTTP, with exec'] = synth({ ...PROD_HTTP, enableExecuteCommand: 'true' });
  });

  it.each(['dev', 'prod', 'prod over HTTP, with exec'])('%s: no unacknowledged finding, errors or warnings', (name) => {
    const { app, stacks } = variants[name];
    expect(nagFindings(app)).toEqual([]);
    for (const stack of [stacks.network, stacks.cache, stacks.service]) {
      const annotations = Annotations.fromStack(stack);
      expect(annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
      expect(annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    }
  });

  it('every acknowledgement carries a reason', () => {
    const { app } = variants['prod over HTTP, with exec'];
    const reasons: string[] = [];
    for (const c of app.node.findAll()) {
      for (const m of c.node.metadata) {
        if (m.type === 'aws:cdk:acknowledged-rules') reasons.push(...Object.values(m.data as Record<string, string>));
      }
    }
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) expect(reason.length).toBeGreaterThan(40);
  });

  it('the AwsSolutions-AEC5 reason says what the group does: TLS and AUTH only when cacheTls is on', () => {
    const aec5 = (synthesized: Synthesized) => {
      const group = synthesized.stacks.cache.node.findAll().find((c) => c.node.id === 'ReplicationGroup');
      const acknowledged = (group?.node.metadata ?? [])
        .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
        .flatMap((m) => Object.entries(m.data as Record<string, string>));
      return acknowledged.find(([id]) => id.endsWith('AwsSolutions-AEC5'))?.[1];
    };
    expect(aec5(variants.dev)).toMatch(/every client needs TLS plus the AUTH token/);
    const plain = aec5(synth({ cacheTls: 'false' }, { lock: null }));
    expect(plain).toMatch(/without TLS and AUTH \(cacheTls=false/);
    expect(plain).not.toMatch(/needs TLS/);
  });

  it('a reason that points at a doc points at one that exists; the AUTH tokens name their rotation runbook', () => {
    const acknowledged = (synthesized: Synthesized) =>
      synthesized.app.node
        .findAll()
        .flatMap((c) =>
          c.node.metadata
            .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
            .flatMap((m) =>
              Object.entries(m.data as Record<string, string>).map(([rule, reason]) => ({ path: c.node.path, rule, reason })),
            ),
        );
    const all = acknowledged(variants.prod);
    for (const { reason } of all)
      for (const [doc] of reason.matchAll(/docs\/[\w/.-]+\.md/g)) expect(existsSync(join(ROOT, doc)), doc).toBe(true);
    const tokens = all.filter((a) => a.rule.endsWith('AwsSolutions-SMG4') && /Cache\/AuthToken/.test(a.path));
    expect(tokens.map((a) => a.path.split('/').at(-1))).toEqual(['AuthToken', 'AuthTokenNext']);
    for (const { reason } of tokens) expect(reason).toMatch(/ROTATE, then SET.*docs\/runbooks\/redis-auth-rotation\.md/);
  });

  it('is not vacuous: an unacknowledged finding fails synth', () => {
    const app = new App({ outdir: undefined });
    new s3.Bucket(new Stack(app, 'Bare'), 'Bucket');
    expect(nagFindings(app).map((f) => f.rule)).toContain('AwsSolutions-S1');
    addNagChecks(app);
    expect(() => app.synth()).toThrow(/AwsSolutions-S1|Validation failed/);
  });
});
