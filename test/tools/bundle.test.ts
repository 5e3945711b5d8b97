import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stageImage } from '../../tools/bundle';

const ROOT = join(__dirname, '..', '..');
const HELLO = join(ROOT, 'test', 'fixtures', 'apps', 'hello');
const parent = join(tmpdir(), `stage-image-test-${process.pid}`);
afterAll(() => rmSync(parent, { recursive: true, force: true }));

/** Every file under `dir`, relative, with its bytes. */
function tree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return files;
}

describe('stageImage: the build context of the node image', () => {
  it('holds the Dockerfile and the whole artifact: the platform, the browser client and the app', () => {
    const dir = stageImage({ app: HELLO, parent });
    const files = [...tree(dir).keys()];
    expect(files.filter((f) => !f.startsWith('dist/')).sort()).toEqual(['.dockerignore', 'Dockerfile']);
    for (const file of ['dist/server.js', 'dist/client/socket.io.min.js', 'dist/app/index.js']) expect(files).toContain(file);
    expect(readFileSync(join(dir, 'Dockerfile'), 'utf8')).toBe(readFileSync(join(ROOT, 'service', 'Dockerfile'), 'utf8'));
    expect(readFileSync(join(dir, 'dist', 'app', 'index.js'), 'utf8')).toContain('cb("pong")');
  });

  it('bundles the same checkout to the same bytes, so an unchanged app keeps its image hash', () => {
    const first = tree(stageImage({ app: HELLO, parent }));
    const second = tree(stageImage({ app: HELLO, parent }));
    expect([...second.keys()].sort()).toEqual([...first.keys()].sort());
    for (const [file, bytes] of first) expect(second.get(file)?.equals(bytes), file).toBe(true);
  });

  it('refuses a path that is no app, naming app and the path, and leaves no directory behind', () => {
    const before = existsSync(parent) ? readdirSync(parent).length : 0;
    expect(() => stageImage({ app: 'test/fixtures/apps/missing', parent })).toThrow(
      /^app test\/fixtures\/apps\/missing: no such file or directory$/,
    );
    expect(readdirSync(parent)).toHaveLength(before);
  });
});
