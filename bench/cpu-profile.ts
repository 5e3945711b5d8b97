// Where a node's CPU went: the self time of a --cpu-prof profile by function and by module.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface Profile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

export interface SelfTime {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly byFunction: SelfTime[];
  readonly byModule: SelfTime[];
}

/** The npm package a path lies in (`@scope/name` or `name`), or undefined outside node_modules. */
const packageOf = (path: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];

/**
 * An esbuild bundle (not minified) marks where each source file begins with a `// path` comment line:
 * the line ranges map a bundle's line numbers back to the package they came from.
 */
function bundleModules(file: string): (line: number) => string {
  const starts: Array<{ line: number; module: string }> = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, line) => {
      const m = /^\/\/ (\S+)\/[^/ ]+\.[cm]?[jt]s$/.exec(text);
      if (!m) return;
      starts.push({ line, module: packageOf(m[1]) ?? m[1] });
    });
  return (line) => {
    let lo = 0;
    let hi = starts.length - 1;
    let found = 'bundle';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid].line <= line) {
        found = starts[mid].module;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

const modulesOfBundle = new Map<string, (line: number) => string>();

function moduleOf(url: string, line: number): string {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return url;
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const pkg = packageOf(path);
  if (pkg) return pkg;
  // A bundle (the service's): its own comments say which package each line came from.
  if (path.endsWith('.js') && existsSync(path)) {
    if (!modulesOfBundle.has(path)) modulesOfBundle.set(path, bundleModules(path));
    return modulesOfBundle.get(path)!(line);
  }
  return path.replace(/^.*\/(service|bench)\//, '$1/');
}

function top(map: Map<string, number>, totalUs: number, n: number): SelfTime[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, share: Math.round((1000 * us) / totalUs) / 1000 }));
}

/** The self time of every profile in `dir` together (one per node), by function and by module, the `n` largest. */
export function summarizeProfiles(dir: string, n = 25): ProfileSummary {
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  let total = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    profile.samples.forEach((id, i) => {
      const us = profile.timeDeltas[i] ?? 0;
      const frame = nodes.get(id)!.callFrame;
      // Idle is the event loop waiting: not CPU.
      if (frame.functionName === '(idle)') return;
      const module = moduleOf(frame.url, frame.lineNumber);
      const fn = `${frame.functionName || '(anonymous)'} ${module}:${frame.lineNumber + 1}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
      byModule.set(module, (byModule.get(module) ?? 0) + us);
      total += us;
    });
  }
  return { totalMs: Math.round(total / 1000), byFunction: top(byFunction, total, n), byModule: top(byModule, total, n) };
}

export function formatProfileSummary(label: string, s: ProfileSummary): string {
  const row = (x: SelfTime) => `  ${(100 * x.share).toFixed(1).padStart(5)} %  ${x.ms.toFixed(0).padStart(6)} ms  ${x.name}`;
  const rows = (xs: SelfTime[]) => xs.map(row);
  return [
    `${label}: ${s.totalMs} ms of CPU (self time, idle excluded)`,
    ' by module:',
    ...rows(s.byModule),
    ' by function:',
    ...rows(s.byFunction),
  ].join('\n');
}
