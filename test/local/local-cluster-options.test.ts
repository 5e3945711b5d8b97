import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLocalClusterArgs } from '../../local/local-cluster-options';
import { UsageError } from '../../tools/cli';

const ROOT = join(__dirname, '..', '..');

describe('npm start -- --app PATH', () => {
  it('takes an app directory relative to where npm was run (INIT_CWD), as an absolute path', () => {
    expect(parseLocalClusterArgs(['--app', 'chat'], join(ROOT, 'examples')).app).toBe(join(ROOT, 'examples', 'chat'));
    expect(parseLocalClusterArgs(['--app', '../examples/canvas/index.ts'], join(ROOT, 'test')).app).toBe(
      join(ROOT, 'examples', 'canvas', 'index.ts'),
    );
  });

  it('leaves the app to the bundle without --app', () => {
    expect(parseLocalClusterArgs([], ROOT).app).toBeUndefined();
  });

  it.each([
    [['--app', 'examples/nothing'], /^--app examples\/nothing: no such file or directory$/],
    [['--app', 'docs'], /^--app docs: a directory needs a package\.json "main" or one of index\.ts, .*index\.cjs$/],
    [['--app'], /^--app needs a value$/],
  ])('refuses %j in one line naming --app', (argv, message) => {
    expect(() => parseLocalClusterArgs(argv, ROOT)).toThrow(UsageError);
    expect(() => parseLocalClusterArgs(argv, ROOT)).toThrow(message);
  });
});
