// `npm run soak -- --connections N --minutes M [...]`: see local/soak-options.ts.
import { writeFileSync } from 'node:fs';
import { runSoak } from '../local/soak';
import { formatSoakProgress, formatSoakSummary } from '../local/soak-format';
import { parseSoakArgs, SOAK_USAGE } from '../local/soak-options';
import { EXIT, runMain } from '../tools/cli';

runMain({ name: 'soak', usage: SOAK_USAGE }, async () => {
  const args = parseSoakArgs(process.argv.slice(2));
  // Ctrl-C ends the sending early; the local cluster is still stopped and the report still printed.
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  const report = await runSoak({
    ...args.soak,
    signal: abort.signal,
    onProgress: (p) => process.stdout.write(`${formatSoakProgress(p)}\n`),
  });
  process.stdout.write(`${formatSoakSummary(report)}\n`);
  if (args.out) {
    writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`report written to ${args.out}\n`);
  }
  return report.delivered === report.expected ? EXIT.ok : EXIT.checkFailed;
});
