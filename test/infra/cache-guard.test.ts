import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOnlyValues, CreateOnlyValues, REPLACEMENT_PROPERTIES, replacementChanges } from '../../infra/cache-replacement-guard';
import { STAGES } from '../../contract/stack';
import { cleanup, loadCacheLock, onlyResource, synth, Synthesized, PROD } from './helpers';

afterAll(cleanup);

describe('replication group replacement guard', () => {
  const synthesized: Partial<Record<string, Synthesized>> = {};
  beforeAll(() => {
    for (const stage of STAGES) synthesized[stage] = synth(stage === 'prod' ? PROD : { stage });
  });

  it.each(STAGES)('%s: the synthesized create-only properties match the checked-in lock', (stage) => {
    const lock = loadCacheLock()[stage] as CreateOnlyValues;
    expect(lock).toBeTypeOf('object');
    // From the template itself, so escape hatches and overrides are covered too.
    const actual = createOnlyValues(onlyResource(synthesized[stage]!.cache, 'AWS::ElastiCache::ReplicationGroup').Properties);
    expect(replacementChanges(actual, lock)).toEqual([]);
    expect(Object.keys(lock).sort()).toEqual([...REPLACEMENT_PROPERTIES].sort());
  });

  it('fails synth when a create-only property changes, naming it and the outage', () => {
    // One pattern, in parts: each must follow the one before.
    const replacing = [
      /REPLACE the dev ElastiCache replication group/,
      /- ReplicationGroupId: "socketio-dev" -> "chat-dev"/,
      /new primary endpoint/,
      /outage/,
      /allowCacheReplacement=true/,
    ];
    expect(() => synth({ appName: 'chat' })).toThrow(new RegExp(replacing.map((r) => r.source).join('[\\s\\S]*')));
    expect(() => synth({ ...PROD, cacheEngine: 'redis' })).toThrow(/REPLACE the prod[\s\S]*- Engine: "valkey" -> "redis"/);
  });

  it('catches an escape-hatch override as well', () => {
    expect(() =>
      synth({}, { mutate: ({ cache }) => (cache.replicationGroup as elasticache.CfnReplicationGroup).addPropertyOverride('Port', 6380) }),
    ).toThrow(/- Port: 6379 -> 6380/);
  });

  it('lets the change through with allowCacheReplacement=true, with a warning', () => {
    const allowed = synth({ appName: 'chat', allowCacheReplacement: 'true' });
    allowed.cache.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { ReplicationGroupId: 'chat-dev' });
    Annotations.fromStack(allowed.stacks.cache).hasWarning('*', Match.stringLikeRegexp('REPLACE the dev ElastiCache replication group'));
  });

  it('ignores changes CloudFormation applies in place (node type, replicas, windows)', () => {
    expect(() =>
      synth({ cacheNodeType: 'cache.t4g.small', numCacheClusters: '2', cacheMaintenanceWindow: 'mon:04:00-mon:05:00' }),
    ).not.toThrow();
  });

  it('compares structurally: key order does not matter, a property appearing does', () => {
    const base = createOnlyValues({ CacheSubnetGroupName: { Ref: 'A' }, Port: 6379 });
    expect(replacementChanges(createOnlyValues({ Port: 6379, CacheSubnetGroupName: { Ref: 'A' } }), base)).toEqual([]);
    expect(replacementChanges(createOnlyValues({ ...base, KmsKeyId: 'key' }), base)).toEqual([
      { property: 'KmsKeyId', locked: null, actual: 'key' },
    ]);
  });
});
