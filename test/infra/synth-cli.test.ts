import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cdkSynth, removeCdkOutputs } from '../helpers/cdk-cli';
import { PROD } from './helpers';

afterAll(removeCdkOutputs);

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
