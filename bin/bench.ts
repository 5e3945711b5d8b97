// npm run bench -- [--quick] [--nodes N] [--out FILE] [--modes a,b,c,s,d]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseBenchArgs, UsageError } from '../bench/options';
import { formatTable } from '../bench/report';
import { runBench, stopEverything } from '../bench/run';
import { FULL, QUICK } from '../bench/sizes';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opts = parseBenchArgs(args);
  const started = Date.now();
  // A hard bound on the whole run, whatever hangs: the servers and workers go with it.
  const deadlineMs = opts.quick ? 3 * 60_000 : 15 * 60_000;
  const abort = (why: string, code: number) => {
    process.stderr.write(`[bench] ${why}: stopping every server and load worker\n`);
    void stopEverything().finally(() => process.exit(code));
  };
  setTimeout(() => abort(`still running after ${deadlineMs / 60_000} min`, 1), deadlineMs).unref();
  process.once('SIGINT', () => abort('interrupted', 130));
  process.once('SIGTERM', () => abort('terminated', 143));
  const result = await runBench({
    ...opts,
    sizes: opts.quick ? QUICK : FULL,
    command: `npm run bench -- ${args.join(' ')}`.trim(),
    progress: (line) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s] ${line}\n`),
  });
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(formatTable(result));
  console.log(`\nresults: ${opts.out}`);
  if (result.results.some((m) => m.error)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(err);
  process.exit(1);
});
