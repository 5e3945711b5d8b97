import { Duration } from 'aws-cdk-lib';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { DEFAULT_PING_INTERVAL_MS } from '../contract/env';
import { intRangeProblem, Range, throwPropsProblems } from './validation';

/**
 * How far back the rate rule counts. AWS WAF takes 60, 120, 300 or 600 s and checks the rate
 * often, independently of the window
 * (https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html).
 */
const EVALUATION_WINDOW = Duration.minutes(5);

/** What the per-IP limit on /socket.io/ must let through in one evaluation window. */
export interface SocketIoRateInputs {
  /** Users behind one public address (an office's proxy, a carrier's NAT) who must all stay connected. */
  readonly usersPerAddress: number;
  /** HTTP requests of one connect through the ALB: the handshake GET, the CONNECT POST, the first poll, the WebSocket upgrade. */
  readonly requestsPerConnect: number;
  /**
   * Drains one user rides through in a window. A drain makes every client of a task connect again
   * through the other tasks (docs/architecture.md); in a deploy the task a client lands on may be
   * drained next, and a scale-in can follow.
   */
  readonly drainsPerWindow: number;
  /**
   * Requests per second of a client that stays on long-polling (a proxy that refuses WebSocket,
   * the case where many users share one address): a poll returns with every ping, and the pong is a POST.
   */
  readonly pollingRequestsPerSecond: number;
  /** The window the limit counts over. */
  readonly window: Duration;
}

/** The inputs of the default limit; the figures and their reasons are in docs/security.md. */
export const SOCKET_IO_RATE_INPUTS: SocketIoRateInputs = {
  usersPerAddress: 1_000,
  requestsPerConnect: 4,
  drainsPerWindow: 2,
  pollingRequestsPerSecond: 2 / (DEFAULT_PING_INTERVAL_MS / 1000),
  window: EVALUATION_WINDOW,
};

/**
 * Requests one address may send to /socket.io/ per window: each of its users connects once and
 * again after every drain, and may poll for the whole window. Chat traffic over polling (a POST
 * per message sent, a poll per batch received) is not in it: smaller offices leave room for it.
 */
export function socketIoRequestsPerIp(inputs: SocketIoRateInputs): number {
  const connects = 1 + inputs.drainsPerWindow;
  const perUser = inputs.requestsPerConnect * connects + inputs.pollingRequestsPerSecond * inputs.window.toSeconds();
  return Math.ceil(inputs.usersPerAddress * perUser);
}

/** Defaults of the props: WebAcl settles each with `??`; the deployment config's defaults read them too. */
export const WEB_ACL_DEFAULTS = {
  socketIoRequestsPerIp: socketIoRequestsPerIp(SOCKET_IO_RATE_INPUTS),
  evaluationWindow: EVALUATION_WINDOW,
  socketIoPathPrefix: '/socket.io/',
} as const;

/** What AWS WAF accepts for a rate-based rule's limit. */
export const WEB_ACL_LIMITS = {
  socketIoRequestsPerIp: { min: 10, max: 2_000_000_000 },
} as const satisfies Record<string, Range>;

/**
 * Rules of AWS's core rule set (https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html)
 * set to Count: each blocks traffic the service serves on purpose. A counted rule still labels the
 * request and counts it in the group's metrics, so a probe stays visible. Every other rule blocks.
 *
 * Counted everywhere rather than scoped to other paths: only /socket.io/ (Engine.IO packets) and
 * /api/ (backend publishes) read a body; every other route answers GET and HEAD only, so a body
 * rule elsewhere would guard nothing. The service treats message text as data and never renders
 * it (the demo page sets it with textContent); escaping is the rendering client's job. Blocking a
 * polling POST is worse than useless: Engine.IO takes the 403 as a transport error, the client
 * reconnects and the message is lost, while the same text over WebSocket (frames are not
 * inspected) passes.
 */
export const COMMON_RULE_SET_COUNTED = [
  // Polling POSTs and API publishes carry up to MAX_HTTP_BUFFER_BYTES (64 KiB); the rule blocks bodies over 8 KB.
  'SizeRestrictions_BODY',
  // Node and native clients may send no User-Agent.
  'NoUserAgent_HEADER',
  // Chat text such as `<script>` or `<img onerror=…>`, or a published payload that quotes HTML.
  'CrossSiteScripting_BODY',
  // Chat text with `../`.
  'GenericLFI_BODY',
  // Chat text with a URL whose host is an IPv4 address.
  'GenericRFI_BODY',
  // Chat text naming the instance metadata address.
  'EC2MetaDataSSRF_BODY',
] as const;

export interface WebAclProps {
  /** ARN of the ALB the web ACL protects. */
  readonly loadBalancerArn: string;
  /** Requests one IP may send to /socket.io/ per evaluation window before it is blocked. @default 36000 (SOCKET_IO_RATE_INPUTS) */
  readonly socketIoRequestsPerIp?: number;
  /** Prefix of metric names. */
  readonly metricPrefix: string;
}

/**
 * A REGIONAL AWS WAF web ACL on the ALB: a per-IP rate limit on /socket.io/ and AWS's common rule
 * set, with the rules that would block the service's own traffic counted instead. On an ALB, AWS WAF
 * sees the first 8 KB of a body (docs/security.md has the source); WebSocket frames after the
 * upgrade are not requests and are not inspected.
 */
export class WebAcl extends Construct {
  public readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: WebAclProps) {
    super(scope, id);
    const d = WEB_ACL_DEFAULTS;
    const limit = props.socketIoRequestsPerIp ?? d.socketIoRequestsPerIp;
    throwPropsProblems(this, [intRangeProblem('socketIoRequestsPerIp', limit, WEB_ACL_LIMITS.socketIoRequestsPerIp)]);
    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: `${props.metricPrefix}-${name}`,
    });
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('web-acl'),
      rules: [
        {
          name: 'SocketIoRatePerIp',
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit,
              evaluationWindowSec: d.evaluationWindow.toSeconds(),
              aggregateKeyType: 'IP',
              scopeDownStatement: {
                byteMatchStatement: {
                  fieldToMatch: { uriPath: {} },
                  positionalConstraint: 'STARTS_WITH',
                  searchString: d.socketIoPathPrefix,
                  textTransformations: [{ priority: 0, type: 'NONE' }],
                },
              },
            },
          },
          visibilityConfig: visibility('socketio-rate'),
        },
        {
          name: 'AWSManagedRulesCommonRuleSet',
          priority: 1,
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: {
              vendorName: 'AWS',
              name: 'AWSManagedRulesCommonRuleSet',
              ruleActionOverrides: COMMON_RULE_SET_COUNTED.map((name) => ({ name, actionToUse: { count: {} } })),
            },
          },
          visibilityConfig: visibility('common-rule-set'),
        },
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'Association', { resourceArn: props.loadBalancerArn, webAclArn: this.webAcl.attrArn });
  }
}
