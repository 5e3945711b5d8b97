// `npm run oncall -- <status|metrics> [options]`: see oncall/options.ts.
import { runCli } from '../oncall/cli';
import { USAGE } from '../oncall/options';
import { runMain } from '../tools/cli';

runMain({ name: 'oncall', usage: USAGE }, () => runCli(process.argv.slice(2), { out: process.stdout, err: process.stderr }));
