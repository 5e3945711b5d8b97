import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { METRICS_NAMESPACE } from '../../../contract/metrics';
import type { Config } from '../config';

/** One PutMetricData call at a time, each bounded by `requestTimeoutMs`; abort() ends the current one at once. */
export function createPutMetricData(client: CloudWatchClient, requestTimeoutMs: number) {
  let abortCurrent: (() => void) | undefined;
  return {
    async send(batch: MetricDatum[]): Promise<void> {
      const ac = new AbortController();
      let timeout: NodeJS.Timeout | undefined;
      // Raced as well as aborted, so even a client that ignores the signal cannot stall the queue.
      const expired = new Promise<never>((_, reject) => {
        const expire = () => {
          ac.abort();
          const err = new Error(`PutMetricData took longer than ${requestTimeoutMs} ms`);
          err.name = 'TimeoutError';
          reject(err);
        };
        abortCurrent = expire;
        timeout = setTimeout(expire, requestTimeoutMs);
        timeout.unref();
      });
      try {
        await Promise.race([
          client.send(new PutMetricDataCommand({ Namespace: METRICS_NAMESPACE, MetricData: batch }), { abortSignal: ac.signal }),
          expired,
        ]);
      } finally {
        clearTimeout(timeout);
        abortCurrent = undefined;
      }
    },
    abort(): void {
      abortCurrent?.();
    },
  };
}

export function buildCloudWatchClient(config: Config['metrics'], requestTimeoutMs: number): CloudWatchClient {
  return new CloudWatchClient({
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    // The publisher's own backoff replaces SDK retries, so one outage costs one request per attempt.
    maxAttempts: 1,
    requestHandler: { connectionTimeout: Math.min(3_000, requestTimeoutMs), requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true },
  });
}
