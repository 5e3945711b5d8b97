import { afterEach, describe, expect, it, vi } from 'vitest';
import { run } from './helpers';

afterEach(() => {
  vi.unstubAllEnvs();
});

/** No credentials or region anywhere the default chain looks, and no network lookups. */
function isolateFromLocalAwsConfig() {
  for (const key of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_DEFAULT_PROFILE',
    'AWS_REGION',
    'AWS_DEFAULT_REGION',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_ROLE_ARN',
    'AWS_CREDENTIAL_EXPIRATION',
  ]) {
    vi.stubEnv(key, undefined);
  }
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/aws/config');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/aws/credentials');
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
}

// No client mocks in this file: these go through the real SDK default chains.
describe('credential and region errors the on-call engineer can fix', () => {
  it('missing credentials: one line, exit code 78 (EX_CONFIG) (real SDK default chain)', async () => {
    isolateFromLocalAwsConfig();
    const r = await run(['status', '--region', 'us-east-1']);
    expect(r.out).toBe('');
    expect(r.err).toBe(
      'oncall: no AWS credentials found in the default chain (env, ~/.aws, SSO, instance role): ' +
        'log in (e.g. aws sso login) or pass --profile\n',
    );
    expect(r.code).toBe(78);
  });

  it('missing credentials for a named profile says which profile', async () => {
    isolateFromLocalAwsConfig();
    const r = await run(['status', '--region', 'us-east-1', '--profile', 'ghost']);
    expect(r.err).toBe('oncall: no AWS credentials found for profile "ghost": log in (e.g. aws sso login) or pass --profile\n');
    expect(r.code).toBe(78);
  });

  it('missing region: one line, exit code 78 (EX_CONFIG) (real SDK default chain)', async () => {
    isolateFromLocalAwsConfig();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDTESTTESTTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test-secret');
    const r = await run(['metrics']);
    expect(r.out).toBe('');
    expect(r.err).toBe('oncall: no AWS region configured: pass --region or set AWS_REGION\n');
    expect(r.code).toBe(78);
  });

  it('an exported but empty AWS_REGION counts as missing', async () => {
    isolateFromLocalAwsConfig();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDTESTTESTTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test-secret');
    vi.stubEnv('AWS_REGION', '');
    const r = await run(['status']);
    expect(r.err).toBe('oncall: no AWS region configured: pass --region or set AWS_REGION\n');
    expect(r.code).toBe(78);
  });
});
