// `npm run bench:ab -- --a FILE [--b FILE] [--rounds R] [--workload fanout|small] …`: see bench/ab-options.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AB_VARIANTS, formatAb, runAb, stopAb } from '../bench/ab';
import { AB_USAGE, parseAbArgs } from '../bench/ab-options';
import { formatProfileSummary, summarizeProfiles } from '../bench/cpu-profile';
import { EXIT, exitCodeForSignal, runMain } from '../tools/cli';

runMain({ name: 'bench:ab', usage: AB_USAGE }, async () => {
  const opts = parseAbArgs(process.argv.slice(2));
  const started = Date.now();
  // A bound on the whole run, whatever hangs: every setup's visit is well under a minute.
  const deadlineMs = 5 * 60_000 + opts.rounds * 3 * (opts.windowMs + 30_000);
  const abort = (why: string, code: number) => {
    process.stderr.write(`[bench:ab] ${why}: stopping every server and load worker\n`);
    void stopAb().finally(() => process.exit(code));
  };
  setTimeout(() => abort(`still running after ${Math.round(deadlineMs / 60_000)} min`, EXIT.failure), deadlineMs).unref();
  process.once('SIGINT', () => abort('interrupted', exitCodeForSignal('SIGINT')));
  process.once('SIGTERM', () => abort('terminated', exitCodeForSignal('SIGTERM')));
  const result = await runAb({
    ...opts,
    progress: (line) => process.stderr.write(`[bench:ab ${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s] ${line}\n`),
  });
  mkdirSync(dirname(opts.out), { recursive: true });
  const dir = opts.profileDir;
  const profiles = dir ? Object.fromEntries(AB_VARIANTS.map((v) => [v, summarizeProfiles(join(dir, v))])) : undefined;
  writeFileSync(opts.out, `${JSON.stringify({ ...result, ...(profiles ? { profiles } : {}) }, null, 2)}\n`);
  console.log(formatAb(result));
  if (profiles) for (const v of AB_VARIANTS) console.log(`\n${formatProfileSummary(v, profiles[v])}`);
  console.log(`\nresults: ${opts.out}`);
  return EXIT.ok;
});
