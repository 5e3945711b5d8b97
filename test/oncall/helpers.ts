import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { OncallClients } from '../../oncall/aws';
import { runCli, type CliIo } from '../../oncall/cli';

export const NOW = new Date('2026-03-10T12:00:00Z');

export function fakeClients(): OncallClients {
  const config = { region: 'us-east-1', credentials: { accessKeyId: 'AKIDTESTTESTTEST', secretAccessKey: 'test-secret' } };
  return { cloudformation: new CloudFormationClient(config), cloudwatch: new CloudWatchClient(config) };
}

/** Runs the CLI and captures what it prints. */
export async function run(argv: string[], io: Partial<CliIo> = {}) {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    out: { write: (s: string) => (out += s) },
    err: { write: (s: string) => (err += s) },
    env: {},
    now: () => NOW,
    ...io,
  });
  return { code, out, err, lines: out.split('\n').filter((l) => l !== '') };
}
