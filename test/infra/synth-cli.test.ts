import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cdkSynth, credentiallessEnv, removeCdkOutputs, run } from '../helpers/cdk-cli';
import { PROD, ROOT } from './helpers';

const outdirs: string[] = [];
afterAll(() => {
  removeCdkOutputs();
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

describe('cdk synth without AWS credentials', () => {
  it.each(['dev', 'prod'])(
    '%s: exits 0 and writes the three templates',
    async (stage) => {
      // Prod needs what its preset cannot give (origins, a certificate, a pager, or reasons there are none); the test passes them.
      const { stage: _stage, ...prodRequired } = PROD;
      const extra = stage === 'prod' ? Object.entries(prodRequired).flatMap(([key, value]) => ['-c', `${key}=${value}`]) : [];
      const { outdir, ...result } = await cdkSynth(['-c', `stage=${stage}`, ...extra]);
      expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
      for (const part of ['network', 'cache', 'service']) {
        const file = join(outdir, `socketio-${stage}-${part}.template.json`);
        expect(existsSync(file), file).toBe(true);
        expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveProperty('Resources');
      }
      // Nothing was looked up: no context was recorded for a later synth to reuse.
      const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { missing?: unknown[] };
      expect(manifest.missing ?? []).toEqual([]);
    },
    180_000,
  );
});

describe('a bad -c key through the cdk CLI', () => {
  const cdk = (args: string[]) =>
    run(join(ROOT, 'node_modules', '.bin', 'cdk'), [...args, '--no-notices', '-c', 'minTask=3'], {
      cwd: ROOT,
      env: credentiallessEnv(),
      timeoutMs: 120_000,
    });
  const line = 'bin/app.ts: Invalid deployment config: unknown key "minTask" (did you mean minTasks?)';

  it.each([['synth'], ['diff']])(
    'cdk %s: the app prints one line naming the key and exits 78; the CDK CLI adds only its own line and exits 1',
    async (command) => {
      const outdir = mkdtempSync(join(tmpdir(), 'infra-cli-'));
      outdirs.push(outdir);
      // diff reads the deployed template only after the app has run, which here it never does.
      const result = await cdk([command, '--output', outdir]);
      expect(result.stderr.trim().split('\n')).toEqual([line, 'npx tsx bin/app.ts: Subprocess exited with error 78']);
      expect(result.status).toBe(1);
    },
    120_000,
  );

  it('a -c value a construct rejects at synth (a cache replacement) is its message without the stack, exit 78', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'infra-cli-'));
    outdirs.push(outdir);
    const result = await run(
      join(ROOT, 'node_modules', '.bin', 'cdk'),
      ['synth', '--quiet', '--no-notices', '-c', 'cacheTls=false', '--output', outdir],
      { cwd: ROOT, env: credentiallessEnv(), timeoutMs: 120_000 },
    );
    expect(result.stderr).toMatch(/^bin\/app\.ts: Validation failed with the following errors:\n/);
    expect(result.stderr).toContain('- TransitEncryptionEnabled: true -> false');
    expect(result.stderr).toContain('-c allowCacheReplacement=true');
    expect(result.stderr).not.toMatch(/^\s+at |\.\.\.App\.synth in aws-cdk-lib|node:internal/m);
    expect(result.stderr.trim().split('\n').at(-1)).toBe('npx tsx bin/app.ts: Subprocess exited with error 78');
  }, 120_000);

  it('the app alone (as the CDK CLI runs it, context in CDK_CONTEXT_JSON) exits 78 with that line only', async () => {
    const result = await run(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'bin', 'app.ts')], {
      cwd: ROOT,
      env: { ...credentiallessEnv(), CDK_CONTEXT_JSON: JSON.stringify({ minTask: '3' }) },
      timeoutMs: 60_000,
    });
    expect(result).toEqual({ status: 78, stdout: '', stderr: `${line}\n` });
  }, 60_000);
});
