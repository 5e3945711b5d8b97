#!/usr/bin/env node
// The one place configuration enters: CDK context and the CLI's environment, into a typed config.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, App, Errors } from 'aws-cdk-lib';
import { CacheLockFile } from '../infra/cache-replacement-guard';
import { configContext, DeploymentConfigError, resolveConfig } from '../infra/config';
import { addSystem } from '../infra/system';
import { exitOnUncaught } from '../tools/cli';

// A bad -c key or value (and a construct's rule it breaks) is its message and exit 78, without the stack a bug keeps.
exitOnUncaught('bin/app.ts', (err): err is Error => err instanceof DeploymentConfigError || Errors.isValidationError(err));

const ROOT = join(__dirname, '..');
const app = new App();
// A misspelt key (-c minTask=3) fails naming the key it resembles; other context is the CDK's own.
const config = resolveConfig(configContext(app.node.getAllContext()), process.env);
const cacheLock = JSON.parse(readFileSync(join(ROOT, 'infra', 'replication-group.lock.json'), 'utf8')) as CacheLockFile;

const { service } = addSystem(app, config, { imageDirectory: join(ROOT, 'service'), cacheLock });
// The image copies the bundle; without it the docker build fails only later, during deploy.
if (!existsSync(join(ROOT, 'service', 'dist', 'server.js'))) {
  Annotations.of(service).addWarningV2('app:no-bundle', 'service/dist/server.js is missing: run `npm run build` before `cdk deploy`');
}
app.synth();
