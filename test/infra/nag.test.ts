import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNagChecks, nagFindings } from '../../infra/nag';
import { CERT_ARN, cleanup, synth, Synthesized, PROD } from './helpers';

afterAll(cleanup);

describe('cdk-nag AwsSolutions', () => {
  const variants: Record<string, Synthesized> = {};
  beforeAll(() => {
    // synth() registers the pack as bin/app.ts does: an unacknowledged error would throw here.
    variants.dev = synth({});
    variants.prod = synth({ ...PROD });
    variants['prod with HTTPS'] = synth({ ...PROD, certificateArn: CERT_ARN, enableExecuteCommand: 'true' });
  });

  it.each(['dev', 'prod', 'prod with HTTPS'])('%s: no unacknowledged finding, errors or warnings', (name) => {
    const { app, stacks } = variants[name];
    expect(nagFindings(app)).toEqual([]);
    for (const stack of [stacks.network, stacks.cache, stacks.service]) {
      const annotations = Annotations.fromStack(stack);
      expect(annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
      expect(annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    }
  });

  it('every acknowledgement carries a reason', () => {
    const { app } = variants['prod with HTTPS'];
    const reasons: string[] = [];
    for (const c of app.node.findAll()) {
      for (const m of c.node.metadata) {
        if (m.type === 'aws:cdk:acknowledged-rules') reasons.push(...Object.values(m.data as Record<string, string>));
      }
    }
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) expect(reason.length).toBeGreaterThan(40);
  });

  it('is not vacuous: an unacknowledged finding fails synth', () => {
    const app = new App({ outdir: undefined });
    new s3.Bucket(new Stack(app, 'Bare'), 'Bucket');
    expect(nagFindings(app).map((f) => f.rule)).toContain('AwsSolutions-S1');
    addNagChecks(app);
    expect(() => app.synth()).toThrow(/AwsSolutions-S1|Validation failed/);
  });
});
