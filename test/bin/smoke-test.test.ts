import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCluster, startLocalCluster } from '../../local/local-cluster';
import { run } from '../helpers/cdk-cli';
import { markdownSection, repoFile, shellCommands } from '../helpers/docs';
import { freePorts } from '../helpers/ports';

const ROOT = join(__dirname, '..', '..');
const API_KEY = randomBytes(24).toString('hex');
const JWT_SECRET = randomBytes(32).toString('hex');
let cluster: LocalCluster;

beforeAll(async () => {
  // Prod's shape: JWT auth with an HS256 secret, the backend API on, two nodes behind HAProxy in the ALB's place.
  cluster = await startLocalCluster({
    ports: await freePorts(2),
    loadBalancerPort: (await freePorts(1))[0],
    env: { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: JWT_SECRET, API_KEYS: API_KEY },
  });
}, 120_000);
afterAll(() => cluster?.stop());

/** Runs a shell line from the repository's root with `vars` set, as a reader would after the doc's earlier steps. */
function shell(line: string, vars: Record<string, string>) {
  return run('bash', ['-c', line], { cwd: ROOT, env: { ...process.env, ...vars }, timeoutMs: 60_000 });
}

describe('npm run smoke (bin/smoke-test.ts) against a local cluster through its load balancer', () => {
  it("docs/deploy.md's smoke test, as written: connects through the load balancer, publishes through the API, receives it", async () => {
    const [line, ...more] = shellCommands(markdownSection(repoFile('docs/deploy.md'), '#### 7. Smoke test'))
      .map((c) => c.line)
      .filter((l) => l.startsWith('npm run smoke'));
    expect(more).toEqual([]);
    const result = await shell(line, { URL: cluster.url, API_KEY, JWT_SECRET });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `^ok: ${cluster.url} /readyz 200; connected as smoke-\\w+ to node-[12] over \\w+; published through /api/v1/publish and received$`,
        'm',
      ),
    );
  }, 90_000);

  it('a wrong API key fails on one line naming the API and its 401, exit 1', async () => {
    const result = await shell('npm run -s smoke -- --url "$URL" --api-key wrong-key --jwt-secret "$JWT_SECRET"', {
      URL: cluster.url,
      JWT_SECRET,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^smoke: POST \/api\/v1\/publish answered 401: /m);
  }, 90_000);

  it('without a token on a JWT stage, says the connection was refused and what to pass', async () => {
    const result = await shell('npm run -s smoke -- --url "$URL" --api-key "$API_KEY"', { URL: cluster.url, API_KEY });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^smoke: connect to http:\/\/\S+ refused: .* \(a jwt stage needs --jwt-secret or --token\)$/m);
  }, 90_000);
});
