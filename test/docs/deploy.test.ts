/**
 * The first-deploy walkthrough of docs/deploy.md and the README's Deploy section, command by command, without AWS: CDK
 * commands are synthesized as written (with the settings the walkthrough tells the reader to put in cdk.json), AWS CLI
 * commands are checked against the synthesized templates, and the smoke test runs against a local cluster
 * (test/bin/smoke-test.test.ts). A command this test does not know fails it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEPLOYMENT_SETTINGS_KEY, stackNames } from '../../contract/stack';
import { deploymentConfig } from '../../infra/config-settings';
import { contextFlags, fencedBlocks, markdownSection, repoFile, type ShellCommand, shellCommands, shellWords } from '../helpers/docs';
import { cleanup, type Synthesized, synthConfig } from '../infra/helpers';

afterAll(cleanup);

const WALKTHROUGH = markdownSection(repoFile('docs/deploy.md'), '### A first deploy, step by step');
const README_DEPLOY = markdownSection(repoFile('README.md'), '## Deploy');
const CDK_JSON = JSON.parse(repoFile('cdk.json')) as { context: Record<string, unknown> };

/** cdk.json's context after step 3: the settings the walkthrough gives, in place of the checked-in ones. */
function contextAfterStep3(): Record<string, unknown> {
  const [settings, ...more] = fencedBlocks(WALKTHROUGH, 'json').map((block) => JSON.parse(block) as Record<string, unknown>);
  expect(more).toEqual([]);
  expect(Object.keys(settings)).toEqual([DEPLOYMENT_SETTINGS_KEY]);
  return { ...CDK_JSON.context, ...settings };
}

const synthesized = new Map<string, Synthesized>();

/** What a `npx cdk deploy|diff|synth` or `npm run synth` line synthesizes, as the CDK CLI would run bin/app.ts for it. */
function synthCommand(line: string, fileContext = contextAfterStep3()): Synthesized {
  const words = shellWords(line);
  const verb = words[0] === 'npx' ? words[2] : words.slice(0, 3).join(' ');
  expect(['deploy', 'diff', 'synth', 'npm run synth'], line).toContain(verb);
  const flags = contextFlags(words);
  const key = JSON.stringify([flags, fileContext]);
  if (!synthesized.has(key)) {
    const { config } = deploymentConfig({ ...fileContext, ...flags }, fileContext, { CDK_DEFAULT_REGION: 'us-east-1' });
    synthesized.set(key, synthConfig(config));
  }
  return synthesized.get(key)!;
}

/** The three templates of a synth, by stack name. */
function templates(s: Synthesized): Record<string, unknown> {
  return Object.fromEntries(
    [s.stacks.network, s.stacks.cache, s.stacks.service].map((stack) => [stack.stackName, s[kind(stack.stackName)].toJSON()]),
  );
}
const kind = (stackName: string) => stackName.split('-').at(-1) as 'network' | 'cache' | 'service';

/** The command whose comment says `what` (its only one). */
function commandFor(commands: readonly ShellCommand[], what: RegExp): string {
  const found = commands.filter((c) => what.test(c.comment));
  expect(
    found.map((c) => c.line),
    String(what),
  ).toHaveLength(1);
  return found[0].line;
}

describe('the README and docs/deploy.md: a first deploy and a release give the same stack', () => {
  it.each([
    ['docs/deploy.md', WALKTHROUGH],
    ['README.md', README_DEPLOY],
  ])(
    '%s: the first deploy and the release command synthesize the same templates',
    (_doc, markdown) => {
      const commands = shellCommands(markdown);
      const first = synthCommand(commandFor(commands, /^the first deploy/));
      const release = synthCommand(commandFor(commands, /^every release/));
      expect(first.config.stage).toBe('prod');
      expect(templates(release)).toEqual(templates(first));
    },
    300_000,
  );

  it("the rollback deploys as the first deploy did, so the old commit's stack comes back", () => {
    const commands = shellCommands(WALKTHROUGH);
    expect(templates(synthCommand(commandFor(commands, /^the rollback/)))).toEqual(
      templates(synthCommand(commandFor(commands, /^the first deploy/))),
    );
  }, 300_000);

  it(".ci/run synthesizes exactly the README's synth commands", () => {
    const readme = shellCommands(README_DEPLOY)
      .map((c) => c.line)
      .filter((line) => line.startsWith('npm run synth'));
    const ci = repoFile('.ci/run')
      .split('\n')
      .filter((line) => line.startsWith('npm run synth'));
    expect(ci).toEqual(readme);
    expect(readme).toHaveLength(2);
    // Both synthesize from the checked-in cdk.json, as CI runs them.
    for (const line of readme) expect(() => synthCommand(line, CDK_JSON.context)).not.toThrow();
  }, 300_000);
});

/** Service-linked roles the walkthrough creates, and the resource type in the templates that needs each. */
const SERVICE_LINKED_ROLES: Readonly<Record<string, string>> = {
  'ecs.amazonaws.com': 'AWS::ECS::Service',
  'ecs.application-autoscaling.amazonaws.com': 'AWS::ApplicationAutoScaling::ScalableTarget',
};

describe("docs/deploy.md's first deploy: every command is checked", () => {
  const commands = shellCommands(WALKTHROUGH);
  /** The first deploy's templates: what every AWS CLI command of the walkthrough reads. */
  const prod = () => synthCommand(commandFor(commands, /^the first deploy/));
  const stacks = () => new Map(Object.entries(templates(prod())) as [string, { Outputs?: Record<string, unknown> }][]);
  /** Variables the commands assign, with the output each was read from. */
  const variables = new Map<string, string | undefined>();

  /** `aws cloudformation describe-stacks --stack-name S --query "…OutputKey=='K'…"`: S is a stack and K one of its outputs. */
  function checkOutputRead(words: readonly string[]): string {
    expect(words.slice(0, 3)).toEqual(['aws', 'cloudformation', 'describe-stacks']);
    const stack = words[words.indexOf('--stack-name') + 1];
    const output = /OutputKey=='(\w+)'/.exec(words[words.indexOf('--query') + 1])?.[1];
    expect(stacks().has(stack), stack).toBe(true);
    expect(Object.keys(stacks().get(stack)!.Outputs ?? {}), stack).toContain(output);
    return output!;
  }

  const inner = (word: string) => shellWords(/^\$\((.*)\)$/.exec(word)![1]);

  const checks: Array<[RegExp, (c: ShellCommand, words: string[]) => void]> = [
    // Every diff and deploy of the walkthrough is prod's, with the same settings: the same templates.
    [/^npx cdk (deploy|diff) /, (c) => expect(templates(synthCommand(c.line))).toEqual(templates(prod()))],
    [
      /^npx cdk bootstrap$/,
      () => {
        // The stacks use the bootstrap's resources: its version parameter, its roles and its image repository.
        const assembly = ['manifest.json', `${prod().stacks.service.stackName}.assets.json`]
          .map((file) => readFileSync(join(prod().outdir, file), 'utf8'))
          .join('\n');
        expect(Object.keys(prod().service.toJSON().Parameters ?? {})).toContain('BootstrapVersion');
        const roles = WALKTHROUGH.match(/cdk-hnb659fds-[a-z-]+-role/g) ?? [];
        expect(new Set(roles).size).toBe(4);
        for (const role of roles) expect(assembly, role).toContain(role);
        expect(assembly).toContain('cdk-hnb659fds-container-assets');
      },
    ],
    [
      /^aws iam create-service-linked-role /,
      (_c, words) => {
        const principal = words[words.indexOf('--aws-service-name') + 1];
        expect(Object.keys(SERVICE_LINKED_ROLES)).toContain(principal);
        prod().service.resourceCountIs(SERVICE_LINKED_ROLES[principal], 1);
      },
    ],
    [
      /^aws ec2 describe-(addresses|vpcs) /,
      (c, words) => {
        const added = Number(/prod adds (\d+)/.exec(c.comment)?.[1]);
        const type = words[2] === 'describe-addresses' ? 'AWS::EC2::EIP' : 'AWS::EC2::VPC';
        prod().network.resourceCountIs(type, added);
      },
    ],
    [/^aws cloudformation describe-stacks /, (_c, words) => void checkOutputRead(words)],
    [
      /^[A-Z_]+=\$\(aws cloudformation describe-stacks /,
      (c) => {
        const [name, value] = [c.line.slice(0, c.line.indexOf('=')), c.line.slice(c.line.indexOf('=') + 1)];
        variables.set(name, checkOutputRead(inner(value)));
      },
    ],
    [
      /^[A-Z_]+=\$\(aws secretsmanager get-secret-value /,
      (c) => {
        const words = inner(c.line.slice(c.line.indexOf('=') + 1));
        const from = words[words.indexOf('--secret-id') + 1].replace(/^\$/, '');
        // The secret's ARN was read from an output that names a secret.
        expect(variables.get(from), from).toMatch(/SecretArn$/);
        variables.set(c.line.slice(0, c.line.indexOf('=')), undefined);
      },
    ],
    [
      /^aws sns list-subscriptions-by-topic /,
      (_c, words) => expect(checkOutputRead(inner(words[words.indexOf('--topic-arn') + 1]))).toMatch(/TopicArn$/),
    ],
    [/^URL=https:\/\/\S+$/, (c) => variables.set('URL', c.line)],
    [
      /^npm run smoke -- /,
      (_c, words) => {
        // Run against a local cluster by test/bin/smoke-test.test.ts; here, its variables were read above.
        for (const word of words.filter((w) => w.startsWith('$'))) expect([...variables.keys()], word).toContain(word.slice(1));
      },
    ],
    [
      /^git switch --detach \S+$/,
      () => {
        // No AWS here: the installed git knows the command and the option (`-h` exits 129 with the usage).
        const usage = spawnSync('git', ['switch', '-h'], { encoding: 'utf8' });
        expect(usage.stdout).toMatch(/--detach/);
      },
    ],
  ];

  it('knows every command it shows, and each passes its check', () => {
    expect(commands.length).toBeGreaterThan(10);
    for (const command of commands) {
      const matching = checks.filter(([pattern]) => pattern.test(command.line));
      expect(
        matching.map(([pattern]) => String(pattern)),
        `no check for: ${command.line}`,
      ).toHaveLength(1);
      matching[0][1](command, shellWords(command.line));
    }
    expect(Object.keys(SERVICE_LINKED_ROLES).every((principal) => WALKTHROUGH.includes(principal))).toBe(true);
  }, 300_000);

  it("names prod's stacks as the CDK app does", () => {
    const names = stackNames({ appName: prod().config.appName, stage: 'prod' });
    for (const name of WALKTHROUGH.match(/socketio-prod-[a-z]+/g) ?? []) expect(Object.values(names)).toContain(name);
  }, 300_000);
});
