import { RENAMED_ADAPTERS } from '../contract/env';
import { choiceOption, numberOption, outputFileOption, parseCommandLine } from '../tools/args';
import { SOAK_ADAPTERS, type SoakOptions } from './soak';

export interface SoakArgs {
  readonly soak: Omit<SoakOptions, 'onProgress' | 'signal'>;
  /** Where the JSON report goes, besides the summary on stdout. */
  readonly out?: string;
}

export const SOAK_USAGE = `usage: npm run soak -- --connections N --minutes M [--nodes 3] [--adapter ${SOAK_ADAPTERS.join('|')}] [--rate 50]
                      [--room-size 10] [--seed S] [--out file.json]
  --connections N   sockets held for the whole soak, 2 to 20000
  --minutes M       how long to send, up to 1440
  --nodes N         service nodes, 1 to 16 (default 3)
  --adapter A       the service's ADAPTER (default pubsub)
  --rate R          room messages per second over all sockets (default 50)
  --room-size S     sockets per room (default 10)
  --seed S          replays a run's choice of senders (default: random, printed)
  --out FILE        the full report as JSON
Exits 2 when fewer messages were delivered than expected.`;

/** `npm run soak`'s command line. */
export function parseSoakArgs(argv: readonly string[]): SoakArgs {
  const { values } = parseCommandLine(argv, {
    connections: { type: 'string' },
    minutes: { type: 'string' },
    nodes: { type: 'string' },
    adapter: { type: 'string' },
    rate: { type: 'string' },
    'room-size': { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
  });
  const minutes = numberOption('--minutes', values.minutes, { above: 0, max: 24 * 60, required: true });
  return {
    soak: {
      connections: numberOption('--connections', values.connections, { integer: true, min: 2, max: 20_000, required: true }),
      durationMs: minutes * 60_000,
      nodes: numberOption('--nodes', values.nodes, { integer: true, min: 1, max: 16, default: 3 }),
      adapter: choiceOption('--adapter', values.adapter ?? 'pubsub', { choices: SOAK_ADAPTERS, renamed: RENAMED_ADAPTERS }),
      ratePerS: numberOption('--rate', values.rate, { above: 0, max: 10_000, default: 50 }),
      roomSize: numberOption('--room-size', values['room-size'], { integer: true, min: 1, default: 10 }),
      seed: numberOption('--seed', values.seed, { integer: true }),
    },
    out: values.out === undefined ? undefined : outputFileOption('--out', values.out),
  };
}
