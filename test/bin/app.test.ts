import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleApp, DEFAULT_APP } from '../../tools/bundle';
import { cdkSynth, imageAsset, removeCdkOutputs } from '../helpers/cdk-cli';

const ROOT = join(__dirname, '..', '..');
const SERVICE_STACK = 'socketio-dev-service';
const scratch = mkdtempSync(join(tmpdir(), 'bin-app-test-'));
afterAll(() => {
  removeCdkOutputs();
  rmSync(scratch, { recursive: true, force: true });
});

/** The image the service's task definition runs: the asset hash in its image URI. */
function taskImage(outdir: string): string {
  const template = JSON.parse(readFileSync(join(outdir, `${SERVICE_STACK}.template.json`), 'utf8')) as {
    Resources: Record<string, { Type: string; Properties: { ContainerDefinitions?: { Image: unknown }[] } }>;
  };
  const task = Object.values(template.Resources).find((r) => r.Type === 'AWS::ECS::TaskDefinition')!;
  return JSON.stringify(task.Properties.ContainerDefinitions![0].Image);
}

describe('cdk synth bundles the platform and the app into the image it deploys (bin/app.ts)', () => {
  it('-c app=PATH puts that app into the image asset, beside the platform and the Dockerfile', async () => {
    const result = await cdkSynth(['-c', 'app=test/fixtures/apps/hello']);
    expect(result.status, result.stderr).toBe(0);
    const { hash, directory } = imageAsset(result.outdir, SERVICE_STACK);
    expect(readdirSync(directory).sort()).toEqual(['.dockerignore', 'Dockerfile', 'dist']);
    expect(readFileSync(join(directory, 'dist', 'app', 'index.js'), 'utf8')).toContain('cb("pong")');
    expect(existsSync(join(directory, 'dist', 'server.js'))).toBe(true);
    expect(taskImage(result.outdir)).toContain(hash);
    expect(result.stderr).toContain("deployment config (stage dev): cdk.json's context.deployments.dev; from the command line: app");
    // The build context was staged for this synth only.
    expect(existsSync(join(ROOT, '.build')) ? readdirSync(join(ROOT, '.build')).filter((d) => d.startsWith('image-')) : []).toEqual([]);
  }, 180_000);

  it('without an app key, the image carries the default app (the demo chat)', async () => {
    const result = await cdkSynth([]);
    expect(result.status, result.stderr).toBe(0);
    const expected = bundleApp(join(ROOT, DEFAULT_APP), join(scratch, 'default'));
    const { directory } = imageAsset(result.outdir, SERVICE_STACK);
    expect(readFileSync(join(directory, 'dist', 'app', 'index.js'), 'utf8')).toBe(readFileSync(expected, 'utf8'));
  }, 180_000);

  it("a changed source file of the app changes the image asset's hash and the task definition", async () => {
    const app = join(scratch, 'edited-app');
    cpSync(join(ROOT, 'test', 'fixtures', 'apps', 'hello'), app, { recursive: true });
    const before = await cdkSynth(['-c', `app=${app}`]);
    expect(before.status, before.stderr).toBe(0);
    const entry = join(app, 'index.js');
    writeFileSync(entry, readFileSync(entry, 'utf8').replace("cb('pong')", "cb('pong, edited')"));
    const after = await cdkSynth(['-c', `app=${app}`]);
    expect(after.status, after.stderr).toBe(0);
    const [was, is] = [imageAsset(before.outdir, SERVICE_STACK), imageAsset(after.outdir, SERVICE_STACK)];
    expect(is.hash).not.toBe(was.hash);
    expect(readFileSync(join(is.directory, 'dist', 'app', 'index.js'), 'utf8')).toContain('pong, edited');
    expect(taskImage(after.outdir)).toContain(is.hash);
    expect(taskImage(after.outdir)).not.toContain(was.hash);
  }, 360_000);

  it('a bad app value fails synth with one line naming the key and the problem, before anything is written', async () => {
    const result = await cdkSynth(['-c', 'app=test/fixtures/apps/missing']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/Invalid deployment config: app test\/fixtures\/apps\/missing: no such file or directory$/m);
    expect(existsSync(join(result.outdir, `${SERVICE_STACK}.template.json`))).toBe(false);
  }, 180_000);
});
