import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import { fakeClients, run } from './helpers';

describe('stack errors (mocked CloudFormation)', () => {
  const cfn = mockClient(CloudFormationClient);
  afterEach(() => cfn.reset());
  const notFound = (stack: string) =>
    new CloudFormationServiceException({
      name: 'ValidationError',
      $fault: 'client',
      message: `Stack with id ${stack} does not exist`,
      $metadata: { httpStatusCode: 400 },
    });

  it('stack that does not exist: one line naming it, exit code 78 (EX_CONFIG), for both commands', async () => {
    cfn.on(ListStackResourcesCommand).rejects(notFound('socketio-prod-service'));
    cfn.on(DescribeStacksCommand).rejects(notFound('Typo'));
    const status = await run(['status', '--region', 'eu-west-1'], { clients: fakeClients() });
    expect(status.err).toBe('oncall: stack "socketio-prod-service" does not exist in eu-west-1: pass --stack NAME or set ONCALL_STACK\n');
    expect(status.code).toBe(78);
    const metrics = await run(['metrics', '--stack', 'Typo', '--region', 'eu-west-1'], { clients: fakeClients() });
    expect(metrics.err).toBe('oncall: stack "Typo" does not exist in eu-west-1: pass --stack NAME or set ONCALL_STACK\n');
    expect(metrics.code).toBe(78);
    expect(status.out + metrics.out).toBe('');
  });

  it('anything else: one line with the error name, exit code 1', async () => {
    cfn.on(ListStackResourcesCommand).rejects(
      new CloudFormationServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        message: 'User: arn:aws:iam::111111111111:user/x is not authorized to perform: cloudformation:ListStackResources\nmore detail',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const r = await run(['status'], { clients: fakeClients() });
    expect(r.err).toBe(
      'oncall: status failed: AccessDenied: User: arn:aws:iam::111111111111:user/x is not authorized to perform: ' +
        'cloudformation:ListStackResources\n',
    );
    expect(r.code).toBe(1);
  });
});
