import { join } from 'node:path';
import { MODE_IDS, type ModeId } from './servers';

export interface BenchOptions {
  readonly quick: boolean;
  readonly nodes: number;
  readonly out: string;
  readonly modes: ModeId[];
  readonly bundle?: string;
}

export const BENCH_USAGE = `usage: npm run bench -- [--quick] [--nodes N] [--out FILE] [--modes a,b,c,s,d] [--bundle FILE]
  --quick      smaller and shorter: under a minute
  --nodes N    nodes in the Redis modes (default 2)
  --out FILE   JSON results (default .bench/bench-<timestamp>.json)
  --modes      a raw ws, b one node in memory, c N nodes on redis pub/sub, s stock socket.io on redis,
               d N nodes on redis streams and sharded on a Redis Cluster
  --bundle     another service bundle to measure in b, c and d (tuning experiments)`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseBenchArgs(argv: string[], now = new Date()): BenchOptions {
  let quick = false;
  let nodes = 2;
  let out: string | undefined;
  let modes: ModeId[] = [...MODE_IDS];
  let bundle: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--quick':
        quick = true;
        break;
      case '--nodes': {
        const v = value();
        nodes = Number(v);
        if (!Number.isInteger(nodes) || nodes < 1 || nodes > 9) throw new UsageError(`--nodes must be an integer from 1 to 9, got ${v}`);
        break;
      }
      case '--out':
        out = value();
        break;
      case '--modes': {
        const list = value()
          .split(',')
          .map((m) => m.trim())
          .filter(Boolean);
        const bad = list.filter((m) => !(MODE_IDS as readonly string[]).includes(m));
        if (bad.length || list.length === 0)
          throw new UsageError(`--modes takes a comma-separated subset of ${MODE_IDS.join(',')}, got ${bad.join(',') || 'nothing'}`);
        modes = MODE_IDS.filter((m) => list.includes(m));
        break;
      }
      case '--bundle':
        bundle = value();
        break;
      case '--help':
      case '-h':
        throw new UsageError(BENCH_USAGE);
      default:
        throw new UsageError(`unknown option ${arg}\n${BENCH_USAGE}`);
    }
  }
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return { quick, nodes, out: out ?? join('.bench', `bench-${stamp}.json`), modes, bundle };
}
