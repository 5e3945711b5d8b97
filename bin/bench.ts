// `npm run bench -- [--quick] [--nodes N] [--out FILE] [--modes …] [--no-api] [--bundle FILE]`: see bench/options.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BENCH_USAGE, parseBenchArgs } from '../bench/options';
import { formatTable, type ReportedResult, verdicts } from '../bench/report';
import { runBench, stopEverything } from '../bench/run';
import { FULL, QUICK } from '../bench/sizes';
import { EXIT, exitCodeForSignal, runMain } from '../tools/cli';

runMain({ name: 'bench', usage: BENCH_USAGE }, async () => {
  const args = process.argv.slice(2);
  const opts = parseBenchArgs(args);
  const started = Date.now();
  // A hard bound on the whole run, whatever hangs: the servers and workers go with it.
  const deadlineMs = opts.quick ? 3 * 60_000 : 15 * 60_000;
  const abort = (why: string, code: number) => {
    process.stderr.write(`[bench] ${why}: stopping every server and load worker\n`);
    void stopEverything().finally(() => process.exit(code));
  };
  setTimeout(() => abort(`still running after ${deadlineMs / 60_000} min`, EXIT.failure), deadlineMs).unref();
  process.once('SIGINT', () => abort('interrupted', exitCodeForSignal('SIGINT')));
  process.once('SIGTERM', () => abort('terminated', exitCodeForSignal('SIGTERM')));
  const result = await runBench({
    ...opts,
    sizes: opts.quick ? QUICK : FULL,
    command: `npm run bench -- ${args.join(' ')}`.trim(),
    progress: (line) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s] ${line}\n`),
  });
  mkdirSync(dirname(opts.out), { recursive: true });
  // The JSON carries the printed verdicts, so that a reader of the file need not judge the figures again.
  const reported: ReportedResult = { ...result, verdicts: verdicts(result) };
  writeFileSync(opts.out, `${JSON.stringify(reported, null, 2)}\n`);
  console.log(formatTable(result));
  console.log(`\nresults: ${opts.out}`);
  return result.results.some((m) => m.error) || result.api?.error ? EXIT.failure : EXIT.ok;
});
