import { Duration } from 'aws-cdk-lib';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { intRangeProblem, Range, throwPropsProblems } from './validation';

/** Defaults of the props: WebAcl settles each with `??`; the deployment config's defaults read them too. */
export const WEB_ACL_DEFAULTS = {
  /** Requests per IP per window on /socket.io/: about 100 polling clients behind one NAT address. */
  socketIoRequestsPerIp: 5_000,
  evaluationWindow: Duration.minutes(5),
  socketIoPathPrefix: '/socket.io/',
} as const;

/** What AWS WAF accepts for a rate-based rule's limit. */
export const WEB_ACL_LIMITS = {
  socketIoRequestsPerIp: { min: 10, max: 2_000_000_000 },
} as const satisfies Record<string, Range>;

/**
 * Rules of the common rule set that would block the service's own traffic, counted instead:
 * long-polling POSTs carry up to 64 KiB (the body rule blocks above 8 KB), and Node clients send no User-Agent.
 */
export const COMMON_RULE_SET_COUNTED = ['SizeRestrictions_BODY', 'NoUserAgent_HEADER'] as const;

export interface WebAclProps {
  /** ARN of the ALB the web ACL protects. */
  readonly loadBalancerArn: string;
  /** Requests one IP may send to /socket.io/ per evaluation window before it is blocked. @default 5000 */
  readonly socketIoRequestsPerIp?: number;
  /** Prefix of metric names. */
  readonly metricPrefix: string;
}

/** A REGIONAL AWS WAF web ACL on the ALB: a per-IP rate limit on /socket.io/ and AWS's common rule set. */
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
