import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '..', '..');

/** Which top-level folders each part may import from (docs/architecture.md, "Where things live"). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  contract: ['contract'],
  'service/src': ['service/src', 'contract'],
  infra: ['infra', 'contract'],
  oncall: ['oncall', 'contract', 'tools'],
  local: ['local', 'contract', 'tools'],
  bench: ['bench', 'contract', 'tools', 'local'],
  tools: ['tools'],
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The repository folder a relative import lands in, e.g. 'service/src' or 'contract'. */
function folderOf(file: string, specifier: string): string {
  const target = relative(ROOT, resolve(file, '..', specifier));
  return target.startsWith('service/src') ? 'service/src' : target.split('/')[0];
}

describe('layering', () => {
  it.each(Object.entries(ALLOWED))('%s imports only from %j', (part, allowed) => {
    const strays: string[] = [];
    for (const file of sources(join(ROOT, part))) {
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
        const folder = folderOf(file, specifier);
        if (!allowed.includes(folder)) strays.push(`${relative(ROOT, file)} imports ${specifier}`);
      }
    }
    expect(strays).toEqual([]);
  });

  it('can fail: a service import from infra is found', () => {
    expect(folderOf(join(ROOT, 'infra', 'x.ts'), '../service/src/config')).toBe('service/src');
  });
});
