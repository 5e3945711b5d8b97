import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORT } from '../../contract/env';
import { type RedisServer, startRedisServer } from '../../local/redis-server';
import { type ServiceNode, startServiceNode } from '../../local/service-node';

const RUNBOOKS = join(__dirname, '..', '..', 'docs', 'runbooks');
/** The image's only program (gcr.io/distroless/nodejs22: no shell, no coreutils). */
const IMAGE_NODE = '/nodejs/bin/node';

/** Every `--command "…"` of an `aws ecs execute-command` in the runbooks, as bash hands it to the CLI. */
function execCommands(): { file: string; command: string }[] {
  return readdirSync(RUNBOOKS)
    .filter((f) => f.endsWith('.md'))
    .flatMap((file) =>
      [...readFileSync(join(RUNBOOKS, file), 'utf8').matchAll(/execute-command[^`]*?--command "((?:[^"\\]|\\.)*)"/g)].map((m) => ({
        file,
        // Inside bash double quotes a backslash escapes only $ ` " \ and a newline.
        command: m[1].replace(/\\([$`"\\\n])/g, '$1'),
      })),
    );
}

/**
 * How the SSM agent that ECS Exec runs turns the command into argv: in a container it splits the
 * string with google/shlex and runs the words without a shell (aws/amazon-ssm-agent,
 * agent/session/shell/shell_unix.go). In shlex, a backslash inside double quotes escapes any
 * character and is dropped; single quotes inside double quotes are literal; `#` starts a comment
 * only at the start of a word.
 */
function agentArgv(command: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\') word += command[++i];
      else word += c;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '#' && word === undefined) {
      while (i < command.length && command[i] !== '\n') i++;
    } else {
      word ??= '';
      if (c === '"' || c === "'") quote = c;
      else if (c === '\\') word += command[++i];
      else word += c;
    }
  }
  if (quote) throw new Error(`unclosed ${quote} in ${command}`);
  if (word !== undefined) words.push(word);
  return words;
}

const run = (script: string) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['-e', script], { timeout: 10_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });

describe("the runbooks' ECS Exec commands", () => {
  const commands = execCommands();
  let redis: RedisServer;
  let node: ServiceNode;

  beforeAll(async () => {
    redis = await startRedisServer();
    node = await startServiceNode({ env: { REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    await node?.stop();
    await redis?.stop();
  });

  it('are found', () => {
    expect(commands.length).toBeGreaterThanOrEqual(5);
  });

  it.each(execCommands().map((c) => [c.file, c.command]))('%s: runs node -e, and the agent passes the script as written', (_f, command) => {
    const written = /^\S+ -e "(.*)"$/s.exec(command)?.[1];
    expect(written, command).toBeDefined();
    const argv = agentArgv(command);
    expect(argv.slice(0, 2)).toEqual([IMAGE_NODE, '-e']);
    expect(argv).toHaveLength(3);
    // A backslash in the script would be eaten by the agent's word splitting.
    expect(argv[2]).toBe(written);
  });

  it.each(execCommands().map((c) => [c.file, c.command]))(
    "%s: answers from a node's /healthz on loopback, with the details",
    async (_f, command) => {
      const script = agentArgv(command)[2].replaceAll(`127.0.0.1:${DEFAULT_PORT}`, `127.0.0.1:${node.port}`);
      const result = await run(script);
      expect(result, script).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout.trim().length).toBeGreaterThan(0);
      // A missing field (an untrusted request gets only {status, node}) prints undefined.
      expect(result.stdout).not.toContain('undefined');
    },
  );
});
