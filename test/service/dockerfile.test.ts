import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLE } from '../../local/service-node';

// No Docker engine runs here, so the image is checked by what its Dockerfile says.
describe('service/Dockerfile', () => {
  const dir = join(__dirname, '..', '..', 'service');
  const lines = readFileSync(join(dir, 'Dockerfile'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const froms = lines.filter((l) => l.startsWith('FROM '));

  it('is multi-stage and ends on a Node 22 image', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms.at(-1)).toMatch(/nodejs22|node:22/);
  });

  it('runs as a non-root user', () => {
    const user = lines.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/USER\s+(root|0)(\s|$)/);
  });

  it("runs its one build step on the builder's platform, so an ARM64 image builds on x86 without QEMU", () => {
    const stages = lines.join('\n').split(/^(?=FROM )/m);
    const bundle = stages.find((stage) => stage.includes(' AS bundle'))!;
    expect(bundle.split('\n')[0]).toMatch(/^FROM --platform=\$BUILDPLATFORM node:22[^ ]* AS bundle$/);
    // The image's own stage (the target platform) runs nothing while building: it only copies.
    const last = stages.at(-1)!;
    expect(last.split('\n').filter((l) => l.startsWith('RUN '))).toEqual([]);
    expect(last).toMatch(/^COPY --from=bundle /m);
    // The build step checks that both the platform and the app parse.
    expect(bundle).toMatch(/^RUN node --check server\.js && node --check app\/index\.js$/m);
  });

  it('copies only the bundle that the tests run', () => {
    const copies = lines.filter((l) => l.startsWith('COPY ') && !l.includes('--from='));
    expect(copies).toEqual(['COPY dist/ ./']);
    expect(existsSync(BUNDLE)).toBe(true);
    expect(BUNDLE).toBe(join(dir, 'dist', 'server.js'));
    const ignore = readFileSync(join(dir, '.dockerignore'), 'utf8');
    expect(ignore).toMatch(/^\*$/m);
    expect(ignore).toMatch(/^!dist\/$/m);
  });
});
