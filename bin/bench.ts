// npm run bench -- [--quick] [--nodes N] [--out FILE] [--modes a,b,c,s,d]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseBenchArgs, UsageError } from '../bench/options';
import { formatTable } from '../bench/report';
import { runBench } from '../bench/run';
import { FULL, QUICK } from '../bench/sizes';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opts = parseBenchArgs(args);
  const started = Date.now();
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
