#!/usr/bin/env node
/**
 * Rewrites infra/replication-group.lock.json from what the app synthesizes now, for every stage.
 * Run it after a deliberate replacement (-c allowCacheReplacement=true) or a first deploy with a
 * changed appName: `npx tsx bin/update-cache-lock.ts [key=value ...]` (context overrides, as -c; an
 * unknown key fails, naming it).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createOnlyValues } from '../infra/cache-replacement-guard';
import { STAGES } from '../contract/stack';
import { DeploymentConfigError, resolveConfig } from '../infra/config';
import { addSystem } from '../infra/system';
import { CliError, EXIT, exitOnUncaught } from '../tools/cli';

// A bad key or value is one line and exit 78, as in cdk synth; a bad argument exits 64.
exitOnUncaught('update-cache-lock', (err): err is Error => err instanceof DeploymentConfigError);

const ROOT = join(__dirname, '..');
const overrides = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const eq = arg.indexOf('=');
    if (eq < 1) throw new CliError(`expected key=value (a -c key of docs/deploy.md and its value), got "${arg}"`, EXIT.usage);
    return [arg.slice(0, eq), arg.slice(eq + 1)];
  }),
);

const lock: Record<string, unknown> = {
  '//':
    "Replacement-causing properties of each stage's replication group as deployed. A test and every synth fail when they " +
    'would change; see docs/deploy.md. Regenerate with npx tsx bin/update-cache-lock.ts',
};
const outdir = mkdtempSync(join(tmpdir(), 'cache-lock-'));
try {
  for (const stage of STAGES) {
    const app = new App({ outdir: join(outdir, stage) });
    // Only the cache stack is read here; the browser origins and the certificate, which prod requires, do not reach it.
    const origins = stage === 'prod' && !overrides.corsOrigins ? { corsOriginsUnsetReason: 'reading the cache stack only' } : {};
    const https = stage === 'prod' && !overrides.certificateArn ? { insecureHttpReason: 'reading the cache stack only' } : {};
    const config = resolveConfig({ ...origins, ...https, ...overrides, stage }, process.env);
    const { cache } = addSystem(app, config, { imageDirectory: join(ROOT, 'service'), nag: false });
    const groups = Template.fromStack(cache).findResources('AWS::ElastiCache::ReplicationGroup');
    const [group] = Object.values(groups) as { Properties: Record<string, unknown> }[];
    lock[stage] = createOnlyValues(group.Properties);
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
writeFileSync(join(ROOT, 'infra', 'replication-group.lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
console.log('wrote infra/replication-group.lock.json');
