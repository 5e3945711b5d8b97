// `npm run oncall -- <status|metrics> [options]`: see oncall/options.ts.
import { runCli } from '../oncall/cli';
import { USAGE } from '../oncall/options';
import { runMain } from '../tools/cli';

// The SDK warns on Node 20 on every run that its releases after January 2027 will need Node 22; the version
// pinned here supports 20, which the README supports. AWS's documented switch (aws/aws-sdk-js-v3#7983) silences
// it; a value the caller set wins. The SDK reads it when a client is created, after this line.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

runMain({ name: 'oncall', usage: USAGE }, () => runCli(process.argv.slice(2), { out: process.stdout, err: process.stderr }));
