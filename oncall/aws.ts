import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  type StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';

export interface OncallClients {
  cloudformation: CloudFormationClient;
  cloudwatch: CloudWatchClient;
}

export interface ClientOptions {
  region?: string;
  profile?: string;
}

/**
 * Default provider chain unless --profile is given. The client's `profile` setting makes the
 * chain read that profile's credentials (the ini provider) and its region, like AWS_PROFILE would.
 */
export function buildClients(opts: ClientOptions): OncallClients {
  const config = {
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.profile ? { profile: opts.profile } : {}),
  };
  return { cloudformation: new CloudFormationClient(config), cloudwatch: new CloudWatchClient(config) };
}

export const ALARM_RESOURCE_TYPES = ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm'] as const;

/** Every resource of the stack (not of nested stacks), following NextToken. */
export async function listStackResources(cfn: CloudFormationClient, stackName: string): Promise<StackResourceSummary[]> {
  const all: StackResourceSummary[] = [];
  let NextToken: string | undefined;
  do {
    const page = await cfn.send(new ListStackResourcesCommand({ StackName: stackName, NextToken }));
    all.push(...(page.StackResourceSummaries ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return all;
}

/** Names of the stack's metric and composite alarms: their physical ids. */
export async function listStackAlarmNames(cfn: CloudFormationClient, stackName: string): Promise<string[]> {
  const resources = await listStackResources(cfn, stackName);
  const types: readonly string[] = ALARM_RESOURCE_TYPES;
  return resources
    .filter((r) => r.ResourceType !== undefined && types.includes(r.ResourceType) && r.PhysicalResourceId)
    .map((r) => r.PhysicalResourceId as string);
}

export async function getStackOutputs(cfn: CloudFormationClient, stackName: string): Promise<Map<string, string>> {
  const res = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = new Map<string, string>();
  for (const o of res.Stacks?.[0]?.Outputs ?? []) {
    if (o.OutputKey && o.OutputValue !== undefined) outputs.set(o.OutputKey, o.OutputValue);
  }
  return outputs;
}

/** One-line explanations for the failures an on-call engineer can fix themselves. */
export function explainAwsError(err: unknown, ctx: { stack: string; region?: string; profile?: string }): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const { name, message } = err;
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    const where = ctx.profile ? `for profile "${ctx.profile}"` : 'in the default chain (env, ~/.aws, SSO, instance role)';
    return `no AWS credentials found ${where}: log in (e.g. aws sso login) or pass --profile`;
  }
  // An exported but empty AWS_REGION fails hostname validation instead of reading as missing.
  if (/region is missing/i.test(message) || /region="" is not a valid/i.test(message)) {
    return 'no AWS region configured: pass --region or set AWS_REGION';
  }
  if (name === 'ValidationError' && /does not exist/i.test(message)) {
    const region = ctx.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    return `stack "${ctx.stack}" does not exist${region ? ` in ${region}` : ''}: pass --stack NAME or set ONCALL_STACK`;
  }
  if (name === 'ExpiredTokenException' || name === 'ExpiredToken' || /token.*expired/i.test(message)) {
    return `AWS credentials have expired: log in again${ctx.profile ? ` for profile "${ctx.profile}"` : ''}`;
  }
  return undefined;
}
