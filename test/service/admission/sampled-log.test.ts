import { afterEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { SampledLog } from '../../../service/src/admission/sampled-log';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

describe('SampledLog', () => {
  afterEach(() => vi.useRealTimers());

  it('writes at most linesPerS lines a second, then one summary that counts the rest', () => {
    vi.useFakeTimers();
    const { logger, lines } = capture();
    const log = new SampledLog(logger, 'info', 'handshake refused', 3, () => Date.now());
    for (let i = 0; i < 100; i++) log.write({ ip: `10.0.0.${i}` });
    expect(lines.map((l) => l.ip)).toEqual(['10.0.0.0', '10.0.0.1', '10.0.0.2']);
    vi.advanceTimersByTime(1_000);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatchObject({ msg: 'handshake refused', suppressed: 97 });
    // A new second has its own lines.
    log.write({ ip: 'again' });
    expect(lines.at(-1)).toMatchObject({ ip: 'again' });
  });

  it('with 0 lines a second writes only summaries, and flush() writes what is pending', () => {
    const { logger, lines } = capture();
    const log = new SampledLog(logger, 'warn', 'connection closed by the guard', 0);
    for (let i = 0; i < 5; i++) log.write({ reason: 'packet_budget' });
    expect(lines).toHaveLength(0);
    log.flush();
    expect(lines).toEqual([expect.objectContaining({ msg: 'connection closed by the guard', suppressed: 5 })]);
    log.flush();
    expect(lines).toHaveLength(1);
  });
});
