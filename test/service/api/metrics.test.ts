import { describe, expect, it } from 'vitest';
import { ApiMetrics, statusKey } from '../../../service/src/api/metrics';

describe('ApiMetrics', () => {
  it('sorts statuses into disjoint counters', () => {
    expect([200, 400, 401, 404, 405, 408, 413, 429, 500, 503].map(statusKey)).toEqual([
      'apiRequests2xx',
      'apiRequests4xx',
      'apiRequestsUnauthorized',
      'apiRequests4xx',
      'apiRequests4xx',
      'apiRequests4xx',
      'apiRequests4xx',
      'apiRequestsThrottled',
      'apiRequests5xx',
      'apiRequests5xx',
    ]);
  });

  it('hands each interval its increase and its latency distribution, once', () => {
    const m = new ApiMetrics();
    m.request(200);
    m.request(200);
    m.presenceTimeout();
    for (const ms of [0.05, 0.4, 0.45, 12, 99_999]) m.publishLatency(ms);
    const first = m.collect();
    const byName = new Map(first.map((d) => [d.def.name, d]));
    expect(byName.get('ApiRequests2xx')?.value).toBe(2);
    expect(byName.get('PresenceQueryTimeouts')?.value).toBe(1);
    expect(byName.get('ApiPublishLatency')).toMatchObject({ values: [0.1, 0.5, 15, 60_000], counts: [1, 2, 1, 1] });
    const second = new Map(m.collect().map((d) => [d.def.name, d]));
    expect(second.get('ApiRequests2xx')?.value).toBe(0);
    expect(second.has('ApiPublishLatency')).toBe(false);
  });
});
