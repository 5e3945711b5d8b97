#!/usr/bin/env node
// The one place configuration enters: cdk.json's checked-in settings, -c overrides and the CLI's environment, into a
// typed config; and the one place the image's build context is made, afresh, from the platform and the config's app.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { App, Errors } from 'aws-cdk-lib';
import { CacheLockFile } from '../infra/cache-replacement-guard';
import { DeploymentConfigError, throwConfigError } from '../infra/config';
import { deploymentConfig, describeSources } from '../infra/config-settings';
import { addSystem } from '../infra/system';
import { AppPathError, stageImage } from '../tools/bundle';
import { exitOnUncaught } from '../tools/cli';

// A bad -c key or value (and a construct's rule it breaks) is its message and exit 78, without the stack a bug keeps.
exitOnUncaught('bin/app.ts', (err): err is Error => err instanceof DeploymentConfigError || Errors.isValidationError(err));

const ROOT = join(__dirname, '..');
const app = new App();
const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
// A misspelt key (-c minTask=3) fails naming the key it resembles; other context is the CDK's own.
const { sources, config } = deploymentConfig(app.node.getAllContext(), cdkJson.context ?? {}, process.env);
process.stderr.write(`${describeSources(sources)}\n`);
const cacheLock = JSON.parse(readFileSync(join(ROOT, 'infra', 'replication-group.lock.json'), 'utf8')) as CacheLockFile;

// Every synth, deploy and diff bundles the platform and the app afresh: what is deployed is what the checkout holds.
let imageDirectory: string;
try {
  imageDirectory = stageImage({ app: config.app, parent: join(ROOT, '.build') });
} catch (err) {
  if (err instanceof AppPathError) throwConfigError([err.message]);
  throw err;
}
try {
  addSystem(app, config, { imageDirectory, cacheLock });
  // Synthesis copies the build context into the cloud assembly (cdk.out/asset.<hash>), which is what deploy builds.
  app.synth();
} finally {
  rmSync(imageDirectory, { recursive: true, force: true });
}
