import { describe, expect, it } from 'vitest';
import { NODE_ALARMS, PAGING_CHILDREN, SERVICE_ALARMS } from '../../infra/monitoring-alarms';
import { THRESHOLD_KEYS } from '../../infra/monitoring-thresholds';
import { docTable } from './helpers';

describe('alarm definitions', () => {
  it('have unique ids', () => {
    const ids = [...NODE_ALARMS, ...SERVICE_ALARMS].map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('read every threshold key, and only those (or the task minimum, or a fixed level)', () => {
    const read = new Set([...NODE_ALARMS, ...SERVICE_ALARMS].map((a) => a.threshold));
    for (const key of THRESHOLD_KEYS) expect(read, key).toContain(key);
    for (const t of read)
      expect(typeof t === 'number' || t === 'minTasks' || (THRESHOLD_KEYS as readonly unknown[]).includes(t)).toBe(true);
  });

  it('page through definitions that exist', () => {
    for (const id of PAGING_CHILDREN.service) expect(SERVICE_ALARMS.map((a) => a.id)).toContain(id);
    for (const id of PAGING_CHILDREN.node) expect(NODE_ALARMS.map((a) => a.id)).toContain(id);
  });

  it('alarm within their window: datapoints at most periods', () => {
    for (const a of [...NODE_ALARMS, ...SERVICE_ALARMS]) expect(a.datapoints, a.id).toBeLessThanOrEqual(a.periods);
  });
});

describe('docs/operations.md', () => {
  it('gives every alarm its window and missing-data rule as defined', () => {
    const rows = docTable('operations.md', '### Thresholds and why');
    for (const a of [...NODE_ALARMS, ...SERVICE_ALARMS]) {
      const row = rows.find((r) => r.alarm.split(' / ').includes(a.id));
      expect(row, a.id).toBeDefined();
      const i = row!.alarm.split(' / ').indexOf(a.id);
      const windows = row!.window.split(' / ');
      expect(windows[i] ?? windows[0], a.id).toBe(`${a.datapoints} of ${a.periods}`);
      expect(row!['missing data'], a.id).toBe(a.missing);
    }
  });
});
