import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the two AWS endpoints a node's drain signal reads, speaking their wire formats:
 * - the ELBv2 Query API's DescribeTargetHealth (form-encoded POST, XML answer,
 *   https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTargetHealth.html);
 * - the ECS task metadata endpoint v4, for the node's own address
 *   (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-metadata-endpoint-v4-fargate-examples.html).
 * The local cluster answers target health from HAProxy's state; tests script it, failures included.
 */

/** The target states DescribeTargetHealth reports. */
export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';
export interface TargetHealth {
  readonly state: TargetState;
  /** A reason code such as Target.DeregistrationInProgress; none when healthy. */
  readonly reason?: string;
  readonly description?: string;
}
export interface TargetId {
  readonly id: string;
  readonly port: number;
}

/** What one DescribeTargetHealth call answers: a health, an API error, no answer at all, or raw bytes. */
export type TargetHealthAnswer =
  | TargetHealth
  | { readonly error: { readonly status: number; readonly code: string; readonly message: string } }
  | { readonly raw: { readonly status: number; readonly body: string } }
  | 'hang';

/** What the stand-in received: the Query API parameters and the signature's presence. */
export interface ReceivedCall {
  readonly action: string | null;
  readonly version: string | null;
  readonly targetGroupArn: string | null;
  readonly targets: TargetId[];
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
}

export interface ElbStandInOptions {
  readonly targetGroupArn: string;
  /** The health of one target, as the load balancer reports it. */
  health(target: TargetId): Promise<TargetHealthAnswer> | TargetHealthAnswer;
  /** The task address each node's metadata endpoint gives. @default '127.0.0.1' */
  readonly taskAddress?: string;
}

export interface ElbStandIn {
  /** The ELBV2_ENDPOINT of the nodes. */
  readonly url: string;
  /** The ECS_CONTAINER_METADATA_URI_V4 of the node `nodeId`. */
  metadataUri(nodeId: string): string;
  readonly calls: ReceivedCall[];
  /** `call` with each ReceivedCall. */
  readonly events: EventEmitter;
  close(): Promise<void>;
}

const XMLNS = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';
const xml = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A DescribeTargetHealth answer as the ELB API writes it. */
export function healthXml(calls: Array<{ target: TargetId; health: TargetHealth }>, requestId = 'stand-in'): string {
  const members = calls.map(({ target, health }) =>
    [
      '<member>',
      `<Target><Id>${xml(target.id)}</Id><Port>${target.port}</Port></Target>`,
      `<HealthCheckPort>${target.port}</HealthCheckPort>`,
      '<TargetHealth>',
      `<State>${health.state}</State>`,
      health.reason ? `<Reason>${xml(health.reason)}</Reason>` : '',
      health.description ? `<Description>${xml(health.description)}</Description>` : '',
      '</TargetHealth>',
      '</member>',
    ].join(''),
  );
  return (
    `<DescribeTargetHealthResponse xmlns="${XMLNS}"><DescribeTargetHealthResult><TargetHealthDescriptions>` +
    `${members.join('')}</TargetHealthDescriptions></DescribeTargetHealthResult>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></DescribeTargetHealthResponse>`
  );
}

function errorXml(code: string, message: string, requestId: string, status: number): string {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  return (
    `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${type}</Type><Code>${xml(code)}</Code><Message>${xml(message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

function parseCall(body: string, headers: http.IncomingHttpHeaders): ReceivedCall {
  const p = new URLSearchParams(body);
  const targets: TargetId[] = [];
  for (let i = 1; p.has(`Targets.member.${i}.Id`); i++) {
    targets.push({ id: p.get(`Targets.member.${i}.Id`)!, port: Number(p.get(`Targets.member.${i}.Port`)) });
  }
  return {
    action: p.get('Action'),
    version: p.get('Version'),
    targetGroupArn: p.get('TargetGroupArn'),
    targets,
    authorization: headers.authorization,
    contentType: headers['content-type'],
  };
}

/** Starts the stand-in on a free loopback port. */
export async function startElbStandIn(opts: ElbStandInOptions): Promise<ElbStandIn> {
  const calls: ReceivedCall[] = [];
  const events = new EventEmitter();
  let seq = 0;
  const send = (res: http.ServerResponse, status: number, type: string, body: string): void =>
    void res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) }).end(body);

  async function describeTargetHealth(call: ReceivedCall, res: http.ServerResponse): Promise<void> {
    const requestId = `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;
    const fail = (status: number, code: string, message: string) =>
      send(res, status, 'text/xml', errorXml(code, message, requestId, status));
    if (call.action !== 'DescribeTargetHealth' || call.version !== '2015-12-01')
      return fail(400, 'InvalidAction', `${call.action} (${call.version}) is not answered here`);
    if (call.targetGroupArn !== opts.targetGroupArn) return fail(400, 'TargetGroupNotFound', 'One or more target groups not found');
    if (call.targets.length === 0) return fail(400, 'ValidationError', 'this stand-in answers for named targets only');
    const answers = await Promise.all(call.targets.map(async (target) => ({ target, answer: await opts.health(target) })));
    const first = answers[0].answer;
    if (first === 'hang') return; // no answer: the caller's own timeout must end the call
    if ('error' in first) return fail(first.error.status, first.error.code, first.error.message);
    if ('raw' in first) return send(res, first.raw.status, 'text/xml', first.raw.body);
    const healths = answers.map(({ target, answer }) => ({ target, health: answer as TargetHealth }));
    send(res, 200, 'text/xml', healthXml(healths, requestId));
  }

  const server = http.createServer((req, res): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', (): void => {
      const metadata = /^\/v4\/([\w.-]+)$/.exec(req.url ?? '');
      if (req.method === 'GET' && metadata) {
        const address = opts.taskAddress ?? '127.0.0.1';
        const body = { Name: 'socketio', DockerName: metadata[1], Networks: [{ NetworkMode: 'awsvpc', IPv4Addresses: [address] }] };
        return send(res, 200, 'application/json', JSON.stringify(body));
      }
      if (req.method !== 'POST') return send(res, 404, 'text/plain', 'not found');
      const call = parseCall(Buffer.concat(chunks).toString('utf8'), req.headers);
      calls.push(call);
      events.emit('call', call);
      describeTargetHealth(call, res).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, 'text/xml', errorXml('InternalFailure', String(err), 'stand-in', 500));
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    metadataUri: (nodeId) => `${url}/v4/${nodeId}`,
    calls,
    events,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
