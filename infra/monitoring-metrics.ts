/**
 * Every metric the alarms and the dashboard read, defined once. Each name says its statistic and
 * unit, so an alarm reads as what it compares.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE, SERVICE_DIMENSION, SERVICE_METRICS, ServiceMetricKey } from '../contract/metrics';
import { cacheNodeDimensions } from '../contract/stack';

/** ElastiCache, ECS and the ALB publish one datapoint a minute; so does the service's publisher. */
export const METRIC_PERIOD = Duration.minutes(1);

function metric(namespace: string, metricName: string, dimensionsMap: Record<string, string>, statistic: string): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace, metricName, dimensionsMap, statistic, period: METRIC_PERIOD });
}

/**
 * One member node of the replication group, under the dimensions ElastiCache publishes node metrics
 * with: CacheClusterId = <group>-00N and CacheNodeId = 0001 (docs/operations.md cites the source).
 */
export function cacheNodeMetrics(memberId: string) {
  const node = (name: string, statistic: string) => metric('AWS/ElastiCache', name, cacheNodeDimensions(memberId), statistic);
  return {
    engineCpuAvgPercent: node('EngineCPUUtilization', 'Average'),
    hostCpuAvgPercent: node('CPUUtilization', 'Average'),
    pubSubLatencyAvgMicros: node('PubSubBasedCmdsLatency', 'Average'),
    readLatencyAvgMicros: node('SuccessfulReadRequestLatency', 'Average'),
    writeLatencyAvgMicros: node('SuccessfulWriteRequestLatency', 'Average'),
    memoryUsageMaxPercent: node('DatabaseMemoryUsagePercentage', 'Maximum'),
    connectionsMaxCount: node('CurrConnections', 'Maximum'),
    evictionsSumCount: node('Evictions', 'Sum'),
    replicationLagMaxSeconds: node('ReplicationLag', 'Maximum'),
    shapedPacketsOutSumCount: node('NetworkBandwidthOutAllowanceExceeded', 'Sum'),
    swapMaxBytes: node('SwapUsage', 'Maximum'),
  };
}
export type CacheNodeMetrics = ReturnType<typeof cacheNodeMetrics>;

/** The ECS service: AWS/ECS utilisation and Container Insights task counts. */
export function ecsServiceMetrics(ecsClusterName: string, serviceName: string) {
  const dims = { ClusterName: ecsClusterName, ServiceName: serviceName };
  return {
    cpuAvgPercent: metric('AWS/ECS', 'CPUUtilization', dims, 'Average'),
    memoryAvgPercent: metric('AWS/ECS', 'MemoryUtilization', dims, 'Average'),
    runningTasksMinCount: metric('ECS/ContainerInsights', 'RunningTaskCount', dims, 'Minimum'),
    desiredTasksMaxCount: metric('ECS/ContainerInsights', 'DesiredTaskCount', dims, 'Maximum'),
  };
}
export type EcsServiceMetrics = ReturnType<typeof ecsServiceMetrics>;

/** The ALB and its target group (dimension values are the resources' "full names"). */
export function albMetrics(loadBalancerFullName: string, targetGroupFullName: string) {
  const lb = { LoadBalancer: loadBalancerFullName };
  const tg = { LoadBalancer: loadBalancerFullName, TargetGroup: targetGroupFullName };
  const alb = (name: string, dims: Record<string, string>, statistic: string) => metric('AWS/ApplicationELB', name, dims, statistic);
  return {
    unhealthyTargetsMaxCount: alb('UnHealthyHostCount', tg, 'Maximum'),
    healthyTargetsMinCount: alb('HealthyHostCount', tg, 'Minimum'),
    elb5xxSumCount: alb('HTTPCode_ELB_5XX_Count', lb, 'Sum'),
    target5xxSumCount: alb('HTTPCode_Target_5XX_Count', tg, 'Sum'),
    rejectedConnectionsSumCount: alb('RejectedConnectionCount', lb, 'Sum'),
    requestsSumCount: alb('RequestCount', lb, 'Sum'),
    activeConnectionsSumCount: alb('ActiveConnectionCount', lb, 'Sum'),
    targetResponseTimeP99Seconds: alb('TargetResponseTime', tg, 'p99'),
  };
}
export type AlbMetrics = ReturnType<typeof albMetrics>;

/** The service's own metrics (contract/metrics.ts), summed or maxed over its tasks. */
export function serviceMetrics(metricsServiceName: string) {
  const svc = (key: ServiceMetricKey, statistic: string = SERVICE_METRICS[key].statistic) =>
    metric(METRICS_NAMESPACE, SERVICE_METRICS[key].name, { [SERVICE_DIMENSION]: metricsServiceName }, statistic);
  const connectedClientsSumCount = svc('connectedClients', 'Sum');
  return {
    connectedClientsAvgPerTask: svc('connectedClients'),
    connectedClientsSumCount,
    // Each task sends one gauge a minute, so a period's Sum over its minutes is the fleet total.
    connectedClientsTotalCount: new cloudwatch.MathExpression({
      expression: 'clients / (PERIOD(clients) / 60)',
      usingMetrics: { clients: connectedClientsSumCount },
      label: 'total across tasks',
      period: METRIC_PERIOD,
    }),
    messagesInSumCount: svc('messagesIn'),
    messagesDeliveredSumCount: svc('messagesDelivered'),
    redisAdapterErrorsSumCount: svc('redisAdapterErrors'),
    redisReconnectsSumCount: svc('redisReconnects'),
    eventLoopDelayP99MaxMs: svc('eventLoopDelayP99'),
    handshakesRefusedSumCount: svc('handshakesRefused'),
    connectionsClosedByGuardSumCount: svc('connectionsClosedByGuard'),
    api2xxSumCount: svc('apiRequests2xx'),
    api4xxSumCount: svc('apiRequests4xx'),
    api5xxSumCount: svc('apiRequests5xx'),
    apiUnauthorizedSumCount: svc('apiRequestsUnauthorized'),
    apiThrottledSumCount: svc('apiRequestsThrottled'),
    apiPublishLatencyP99Ms: svc('apiPublishLatency'),
    presenceTimeoutsSumCount: svc('presenceQueryTimeouts'),
  };
}
export type ServiceMetrics = ReturnType<typeof serviceMetrics>;
