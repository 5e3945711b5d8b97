import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs emitter-process.ts in its own Node process; resolves with the subscriber count each PUBLISH reached. */
export async function emitFromAnotherProcess(redisUrl: string, event: string, id: string, rooms: string[]): Promise<number[]> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'emitter-process.ts'), redisUrl, event, id, ...rooms],
    {
      timeout: 20_000,
    },
  );
  return (JSON.parse(stdout.trim().split('\n').at(-1)!) as { receivers: number[] }).receivers;
}
