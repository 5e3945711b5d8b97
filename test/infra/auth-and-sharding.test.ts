import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envSchema } from '../../contract/env';
import { resolveConfig } from '../../infra/config';
import { cleanup, containerEnv, synth, type Synthesized, PROD } from './helpers';

afterAll(cleanup);

const env = (name: string, value: unknown) => Match.objectLike({ Name: name, Value: value });

describe('handshake auth', () => {
  let dev: Synthesized;
  let prod: Synthesized;
  let jwks: Synthesized;
  beforeAll(() => {
    dev = synth({});
    prod = synth({ ...PROD });
    jwks = synth({
      ...PROD,
      authJwksUrl: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc/.well-known/jwks.json',
      authJwtIssuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc',
      authJwtAudience: 'client-id',
      corsOrigins: 'https://app.example.com,https://admin.example.com',
    });
  });

  it('is on in prod by default, with an HS256 signing secret from Secrets Manager handed to the tasks', () => {
    prod.service.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith([env('AUTH_MODE', 'jwt')]),
          Secrets: Match.arrayWith([{ Name: 'AUTH_JWT_SECRET', ValueFrom: { Ref: Match.stringLikeRegexp('AuthJwtSecret') } }]),
        }),
      ],
    });
    prod.service.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ PasswordLength: 64, ExcludePunctuation: true }),
    });
    prod.service.hasOutput('AuthJwtSecretArn', { Value: { Ref: Match.stringLikeRegexp('AuthJwtSecret') } });
  });

  it('is off in dev, with no signing secret', () => {
    expect(containerEnv(dev).Environment).toContainEqual({ Name: 'AUTH_MODE', Value: 'none' });
    expect(containerEnv(dev).Secrets.map((x) => x.Name)).not.toContain('AUTH_JWT_SECRET');
    // The one secret of the service stack is the API keys'.
    dev.service.resourceCountIs('AWS::SecretsManager::Secret', 1);
    dev.service.hasResourceProperties('AWS::SecretsManager::Secret', { Description: Match.stringLikeRegexp('API_KEYS') });
  });

  it('uses a JWKS issuer instead of a secret when one is configured, and passes CORS origins', () => {
    jwks.service.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Environment: Match.arrayWith([
            env('AUTH_MODE', 'jwt'),
            env('AUTH_JWKS_URL', 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc/.well-known/jwks.json'),
            env('AUTH_JWT_ISSUER', 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc'),
            env('AUTH_JWT_AUDIENCE', 'client-id'),
            env('CORS_ORIGINS', 'https://app.example.com,https://admin.example.com'),
          ]),
        }),
      ],
    });
    jwks.service.resourceCountIs('AWS::SecretsManager::Secret', 1);
    expect(containerEnv(jwks).Secrets.map((x) => x.Name)).toEqual(['REDIS_PASSWORD', 'REDIS_PASSWORD_NEXT', 'API_KEYS']);
  });

  it.each([
    [{ ...PROD, authMode: 'none' }, /authMode=none in prod needs authDisabledReason/],
    [{ authMode: 'jwt', authJwksUrl: 'http://issuer.example.com/jwks.json' }, /authJwksUrl must be an https:\/\/ URL/],
    [{ authJwtIssuer: 'https://issuer.example.com' }, /authJwksUrl, authJwtIssuer and authJwtAudience only apply with authMode=jwt/],
    [{ ...PROD, authDisabledReason: 'internal tool' }, /authDisabledReason only applies with authMode=none/],
    [{ authMode: 'maybe' }, /authMode must be one of jwt, none/],
    [{ corsOrigins: 'https://app.example.com/path' }, /corsOrigins must be comma-separated origins/],
    [{ corsOrigins: '*' }, /corsOrigins must be comma-separated origins/],
  ])('rejects %j', (context, message) => {
    expect(() => resolveConfig(context)).toThrow(message);
  });

  it('lets prod run without auth only when told why', () => {
    const c = resolveConfig({ ...PROD, authMode: 'none', authDisabledReason: 'read-only public ticker, no user data' });
    expect(c.authMode).toBe('none');
  });
});

describe('cluster mode (sharded)', () => {
  let sharded: Synthesized;
  beforeAll(() => {
    sharded = synth({ ...PROD, cacheClusterMode: 'true', cacheShards: '3', cacheReplicasPerShard: '2' }, { lock: null });
  });

  it('switches the cache to cluster mode with shards and replicas per shard', () => {
    sharded.cache.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      ClusterMode: 'enabled',
      NumNodeGroups: 3,
      ReplicasPerNodeGroup: 2,
      CacheParameterGroupName: 'default.valkey8.cluster.on',
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
      TransitEncryptionEnabled: true,
      NumCacheClusters: Match.absent(),
    });
    expect(sharded.stacks.cache.cacheMemberIds).toEqual([
      'socketio-prod-0001-001',
      'socketio-prod-0001-002',
      'socketio-prod-0001-003',
      'socketio-prod-0002-001',
      'socketio-prod-0002-002',
      'socketio-prod-0002-003',
      'socketio-prod-0003-001',
      'socketio-prod-0003-002',
      'socketio-prod-0003-003',
    ]);
  });

  it('switches the service to the sharded adapter on the configuration endpoint, together', () => {
    sharded.service.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          // arrayWith keeps order: REDIS_URL comes before ADAPTER in the task's environment.
          Environment: Match.arrayWith([
            env('REDIS_URL', {
              'Fn::Join': [
                '',
                ['rediss://', { 'Fn::ImportValue': Match.stringLikeRegexp('ConfigurationEndPointAddress') }, ':', Match.anyValue()],
              ],
            }),
            env('ADAPTER', 'sharded'),
          ]),
        }),
      ],
    });
  });

  it('keeps the classic adapter without cluster mode', () => {
    const plain = synth({});
    expect(containerEnv(plain).Environment).toContainEqual({ Name: 'ADAPTER', Value: 'pubsub' });
    expect(plain.stacks.cache.cacheMemberIds).toEqual(['socketio-dev-001']);
  });

  it('is a replacement the guard stops without the opt-in', () => {
    expect(() => synth({ cacheClusterMode: 'true' })).toThrow(/replace/i);
    expect(() => synth({ cacheClusterMode: 'true', allowCacheReplacement: 'true' })).not.toThrow();
  });

  it.each([
    [{ cacheClusterMode: 'true', cacheShards: '0' }, /cacheShards must be from 1 to 500/],
    [{ ...PROD, cacheClusterMode: 'true', cacheReplicasPerShard: '0' }, /cacheReplicasPerShard must be at least 1 in prod/],
  ])('rejects %j', (context, message) => {
    expect(() => resolveConfig(context)).toThrow(message);
  });
});

describe('the container environment', () => {
  it.each([
    ['dev', {}],
    ['prod', { ...PROD }],
    ['cluster mode', { cacheClusterMode: 'true' }],
    ['platform limits set', { rateLimitPerSocket: '150', connectionPacketsBurst: '2000', maxHttpBufferBytes: '131072' }],
  ])('%s: parses under the service own schema, secrets included', (_name, context) => {
    const { Environment, Secrets } = containerEnv(synth(context, { lock: null }));
    // Tokens (the cache endpoint, secret ARNs) resolve at deploy; a stand-in of the right shape is parsed here.
    const standIns: Record<string, string> = {
      REDIS_URL: 'rediss://cache.example:6379',
      DRAIN_TARGET_GROUP_ARN: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/socketio/73e2d6bc24d8a067',
    };
    const stand = (name: string, value: unknown) =>
      typeof value === 'string' && !value.includes('${Token') ? value : (standIns[name] ?? 'x'.repeat(48));
    const env = Object.fromEntries([
      ...Environment.map((e) => [e.Name, stand(e.Name, e.Value)]),
      ...Secrets.map((s) => [s.Name, 'x'.repeat(48)]),
    ]);
    const parsed = envSchema.strict().safeParse(env);
    expect(parsed.error?.issues ?? []).toEqual([]);
  });
});
