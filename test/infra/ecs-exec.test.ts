import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ECS_EXEC_WRITABLE_PATHS } from '../../infra/socket-service';
import { cleanup, onlyResource, synth, Synthesized } from './helpers';

let on: Synthesized;
let off: Synthesized;

beforeAll(() => {
  on = synth({}); // dev turns ECS Exec on
  off = synth({ enableExecuteCommand: 'false' });
});
afterAll(cleanup);

/** The paths the SSM agent that ECS Exec starts in the container writes to (aws/containers-roadmap#1359). */
const PATHS = ['/managed-agents', '/var/lib/amazon/ssm', '/var/log/amazon/ssm'];

describe('ECS Exec with a read-only root file system', () => {
  it('names exactly the SSM agent paths', () => {
    expect([...ECS_EXEC_WRITABLE_PATHS].sort()).toEqual([...PATHS].sort());
  });

  it('on: a task-level volume per path, mounted writable, the root still read-only', () => {
    const t = on.service;
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          Name: 'socketio',
          ReadonlyRootFilesystem: true,
          MountPoints: Match.arrayEquals(
            PATHS.map((path) => ({ ContainerPath: path, SourceVolume: Match.stringLikeRegexp('^ecs-exec-'), ReadOnly: false })),
          ),
        }),
      ],
    });
    const definition = onlyResource(t, 'AWS::ECS::TaskDefinition').Properties as {
      Volumes: { Name: string; Host?: unknown }[];
      ContainerDefinitions: { MountPoints: { SourceVolume: string }[] }[];
    };
    // Fargate's task storage (no host path, no EFS): writable, gone with the task.
    expect(definition.Volumes.every((v) => Object.keys(v).length === 1)).toBe(true);
    expect(definition.Volumes.map((v) => v.Name).sort()).toEqual(
      definition.ContainerDefinitions[0].MountPoints.map((m) => m.SourceVolume).sort(),
    );
  });

  it('on: no session logging, since the distroless image has neither `script` nor `cat`', () => {
    on.service.hasResourceProperties('AWS::ECS::Cluster', {
      Configuration: { ExecuteCommandConfiguration: { Logging: 'NONE', LogConfiguration: Match.absent() } },
    });
    const policies = JSON.stringify(
      on.service.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('TaskRole') } }),
    );
    expect(policies).toContain('ssmmessages:OpenDataChannel');
    expect(policies).not.toMatch(/"logs:/);
  });

  it('off: no volumes, no mount points, no exec configuration', () => {
    off.service.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Name: 'socketio', ReadonlyRootFilesystem: true, MountPoints: Match.absent() })],
      Volumes: Match.absent(),
    });
    off.service.hasResourceProperties('AWS::ECS::Cluster', { Configuration: Match.absent() });
    off.service.hasResourceProperties('AWS::ECS::Service', { EnableExecuteCommand: false });
  });
});
