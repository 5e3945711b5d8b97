import { describe, expect, it } from 'vitest';
import { cacheMemberIds, metricsServiceName, replicationGroupId, stackNames } from '../../contract/stack';

describe('stack names', () => {
  it('prefixes every stack with app and stage', () => {
    expect(stackNames({ appName: 'chat', stage: 'prod' })).toEqual({
      network: 'chat-prod-network',
      cache: 'chat-prod-cache',
      service: 'chat-prod-service',
    });
    expect(replicationGroupId({ appName: 'chat', stage: 'dev' })).toBe('chat-dev');
    expect(metricsServiceName({ appName: 'chat', stage: 'dev' })).toBe('chat-dev');
  });

  it('names cache members as ElastiCache does, with and without shards', () => {
    expect(cacheMemberIds('g', 3)).toEqual(['g-001', 'g-002', 'g-003']);
    expect(cacheMemberIds('g', { shards: 2, replicasPerShard: 1 })).toEqual(['g-0001-001', 'g-0001-002', 'g-0002-001', 'g-0002-002']);
  });
});
