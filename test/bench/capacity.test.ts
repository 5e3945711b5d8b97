import { describe, expect, it } from 'vitest';
import { DEFAULT_FIGURES, planCapacity, type CapacityInput } from '../../bench/capacity';
import { UsageError } from '../../tools/cli';

const base: CapacityInput = { connections: 50_000, msgRate: 2_000, roomSize: 10 };

describe('capacity model', () => {
  it('never gets cheaper or smaller as any input grows', () => {
    const grow: Array<[keyof CapacityInput, number[]]> = [
      ['connections', [100, 1_000, 10_000, 50_000, 200_000, 1_000_000, 3_000_000]],
      ['msgRate', [0, 10, 1_000, 5_000, 20_000, 80_000, 300_000]],
      ['roomSize', [1, 2, 10, 50, 200, 1_000, 5_000]],
    ];
    for (const [key, values] of grow) {
      const plans = values.map((v) => planCapacity({ ...base, [key]: v }));
      for (let i = 1; i < plans.length; i++) {
        const [a, b] = [plans[i - 1], plans[i]];
        expect(b.monthlyUsd.total, `${key} ${values[i - 1]} → ${values[i]}`).toBeGreaterThanOrEqual(a.monthlyUsd.total);
        expect(b.monthlyUsd.fargate + b.monthlyUsd.redis, `${key} ${values[i - 1]} → ${values[i]}`).toBeGreaterThanOrEqual(
          a.monthlyUsd.fargate + a.monthlyUsd.redis - 1,
        );
        expect(b.deliveriesPerS).toBeGreaterThanOrEqual(a.deliveriesPerS);
      }
    }
  });

  it('adds tasks for CPU once connections no longer decide', () => {
    const quiet = planCapacity({ connections: 20_000, msgRate: 10, roomSize: 5 });
    const busy = planCapacity({ connections: 20_000, msgRate: 50_000, roomSize: 50 });
    expect(quiet.tasks.limitedBy).toBe('connections');
    expect(busy.tasks.limitedBy).toBe('cpu');
    expect(busy.tasks.count * busy.tasks.vcpu).toBeGreaterThan(quiet.tasks.count * quiet.tasks.vcpu);
    expect(busy.tasks.cpuUtilization).toBeLessThanOrEqual(0.6);
  });

  it('moves to a sharded cluster when one primary cannot carry the pub/sub traffic', () => {
    expect(planCapacity({ connections: 10_000, msgRate: 100, roomSize: 10 }).redis).toMatchObject({
      mode: 'single primary',
      shards: 1,
      nodes: 3,
    });
    const big = planCapacity({ connections: 2_000_000, msgRate: 100_000, roomSize: 10 });
    expect(big.adapter).toBe('sharded');
    expect(big.redis.mode).toBe('cluster');
    expect(big.redis.shards).toBeGreaterThan(1);
    expect(big.redis.primaryCpuUtilization).toBeLessThanOrEqual(0.5);
  });

  it('gives sane numbers for one million connections', () => {
    // 1M connections, each sending a message a minute, to rooms of 20.
    const plan = planCapacity({ connections: 1_000_000, msgRate: 1_000_000 / 60, roomSize: 20 }, DEFAULT_FIGURES);
    expect(plan.deliveriesPerS).toBeCloseTo(333_333, -1);
    expect(plan.tasks.count).toBeGreaterThanOrEqual(50);
    expect(plan.tasks.count).toBeLessThanOrEqual(2_000);
    expect(plan.tasks.connectionsPerTask * plan.tasks.count).toBeGreaterThanOrEqual(1_000_000);
    expect(plan.redis.nodes).toBeGreaterThanOrEqual(3);
    expect(plan.redis.nodes).toBeLessThanOrEqual(60);
    expect(plan.monthlyUsd.total).toBeGreaterThan(5_000);
    expect(plan.monthlyUsd.total).toBeLessThan(200_000);
    expect(plan.monthlyUsd.total).toBe(plan.monthlyUsd.fargate + plan.monthlyUsd.redis + plan.monthlyUsd.alb + plan.monthlyUsd.egress);
    expect(plan.assumptions.length).toBeGreaterThan(3);
    // Raising the connections-per-task target (the stack's is 2 000) trades tasks for CPU per task.
    const dense = planCapacity(
      { connections: 1_000_000, msgRate: 1_000_000 / 60, roomSize: 20, connectionsPerTask: 20_000 },
      DEFAULT_FIGURES,
    );
    expect(dense.tasks.count).toBeLessThan(plan.tasks.count);
  });

  it("counts the idempotency keys' Redis memory, 400 bytes a key for the window, and adds shards when one primary cannot hold them", () => {
    const plain = planCapacity(base);
    expect(plain.redis.idempotencyMB).toBe(0);
    // 2 000 idempotent publishes a second for the default 5 minutes: 600 000 keys, 240 MB (not the 60 MB of 100 bytes a key).
    const idem = planCapacity({ ...base, idempotentPublishRate: 2_000 });
    expect(idem.redis.idempotencyMB).toBe(240);
    expect(idem.redis).toMatchObject({ mode: 'single primary', shards: 1 });
    expect(planCapacity({ ...base, idempotentPublishRate: 2_000, idempotencyWindowMs: 600_000 }).redis.idempotencyMB).toBe(480);
    // Past 37.5 % of a node's 6.38 GiB the keys need shards of their own, and the cost grows with them.
    const rates = [0, 2_000, 20_000, 100_000, 400_000];
    const plans = rates.map((idempotentPublishRate) => planCapacity({ ...base, idempotentPublishRate }));
    for (let i = 1; i < plans.length; i++) expect(plans[i].monthlyUsd.total).toBeGreaterThanOrEqual(plans[i - 1].monthlyUsd.total);
    const huge = plans.at(-1)!;
    expect(huge.redis.mode).toBe('cluster');
    expect(huge.redis.primaryMemoryUtilization).toBeLessThanOrEqual(0.375);
    expect(huge.assumptions.join('\n')).toMatch(/idempotency key takes 400 bytes of Redis/);
  });

  it('refuses bad input with a message naming it', () => {
    const bad: Array<[Partial<CapacityInput>, RegExp]> = [
      [{ connections: 0 }, /connections must be a positive integer, got 0/],
      [{ connections: 1.5 }, /connections must be a positive integer/],
      [{ msgRate: -1 }, /msg rate must be .* >= 0, got -1/],
      [{ msgRate: Number.NaN }, /msg rate/],
      [{ roomSize: 0 }, /room size must be a positive integer/],
      [{ roomSize: 60_000 }, /room size \(60000\) cannot exceed connections \(50000\)/],
      [{ connectionsPerTask: 0 }, /connections per task must be a positive integer/],
      [{ idempotentPublishRate: -5 }, /idempotent publish rate must be .* >= 0, got -5/],
      [{ idempotencyWindowMs: 0 }, /idempotency window \(ms\) must be a positive integer, got 0/],
    ];
    for (const [patch, message] of bad) {
      expect(() => planCapacity({ ...base, ...patch })).toThrow(UsageError);
      expect(() => planCapacity({ ...base, ...patch })).toThrow(message);
    }
  });
});
