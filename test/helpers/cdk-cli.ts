/** The CDK CLI as a user runs it, from the repository's root, on a machine that has never seen AWS. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** The environment of a machine that has never seen AWS: no AWS_* or CDK_* variables, no config files. */
export function credentiallessEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AWS_|CDK_)/.test(k)));
  return {
    ...env,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    NODE_ENV: 'production',
  };
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to its end without blocking the test worker (a spawnSync of a whole synth starves
 * vitest's worker RPC, which then reports "Timeout calling onTaskUpdate").
 */
export function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }) {
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const outdirs: string[] = [];

/** Removes the cloud assemblies `cdkSynth` wrote. */
export function removeCdkOutputs(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** `cdk synth --quiet <args>` into a fresh output directory, as `npm run synth -- <args>` runs it. */
export async function cdkSynth(args: readonly string[], timeoutMs = 180_000): Promise<RunResult & { readonly outdir: string }> {
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-cli-'));
  outdirs.push(outdir);
  const result = await run(join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--no-notices', ...args, '--output', outdir], {
    cwd: ROOT,
    env: credentiallessEnv(),
    timeoutMs,
  });
  return { ...result, outdir };
}

/** The service stack's image asset in a cloud assembly: its hash and the directory the image is built from. */
export function imageAsset(outdir: string, stack: string): { readonly hash: string; readonly directory: string } {
  const manifest = JSON.parse(readFileSync(join(outdir, `${stack}.assets.json`), 'utf8')) as {
    dockerImages: Record<string, { source: { directory: string } }>;
  };
  const [[hash, image], ...more] = Object.entries(manifest.dockerImages);
  if (more.length > 0) throw new Error(`${stack} has ${more.length + 1} image assets, expected one`);
  return { hash, directory: join(outdir, image.source.directory) };
}
