// What the bench counts as noise: other work on the machine during a window, and growth too small to divide per connection.
import { round } from '../tools/numbers';
import { machineBusyUs } from '../tools/procstat';

/**
 * Other processes taking more than this share of the machine's cores, on average over a measured window, make
 * the figures from that window too noisy to judge against a target: on 2 cores, half a core. The bench's own
 * servers and load workers need up to both cores, so what others take is time the measured code waited for.
 */
export const NOISE_BOUND_SHARE = 0.25;

/** The bound in cores on a machine of `cores`. */
export const noiseBoundCores = (cores: number) => round(NOISE_BOUND_SHARE * cores, 2);

const MB = 1024 * 1024;

/**
 * An idle RSS growth under this is below the noise: V8 and the allocator map and return pages on their own
 * (quick runs of 400 connections saw the nodes' RSS move by -2 MB to +4 MB where the heap grew 5 MB).
 */
export const RSS_NOISE_BYTES = 4 * MB;

/** An idle heap growth under this is below the noise: a server frees up to ~150 KB on its own between two samples. */
export const HEAP_NOISE_BYTES = 256 * 1024;

/**
 * `growthBytes` over `connections`, in units of `unitBytes`, or null when the growth is under `floorBytes`
 * (negative included): a per-connection figure from it would be noise, never a negative size.
 */
export function perConnection(growthBytes: number, connections: number, floorBytes: number, unitBytes = 1): number | null {
  if (connections <= 0 || growthBytes < floorBytes) return null;
  return round(growthBytes / unitBytes / connections, 2);
}

/** Where otherCpu reads the time: the machine's busy CPU, this process's CPU (both in µs) and the wall clock (ms). */
export interface CpuClock {
  machineBusyUs(): number;
  selfCpuUs(): number;
  nowMs(): number;
}

const SYSTEM_CLOCK: CpuClock = {
  machineBusyUs,
  selfCpuUs: () => {
    const { user, system } = process.cpuUsage();
    return user + system;
  },
  nowMs: () => performance.now(),
};

/**
 * Starts measuring the CPU that processes other than the bench's took from the machine; `stop` takes the
 * bench's other processes' CPU over the same time (servers, load workers) and answers the others' in cores.
 */
export function otherCpu(clock: CpuClock = SYSTEM_CLOCK): { stop(ownCpuUs: number): number } {
  const t0 = clock.nowMs();
  const busy0 = clock.machineBusyUs();
  const self0 = clock.selfCpuUs();
  return {
    stop(ownCpuUs) {
      const seconds = (clock.nowMs() - t0) / 1000;
      const others = clock.machineBusyUs() - busy0 - ownCpuUs - (clock.selfCpuUs() - self0);
      // Clock ticks (10 ms) per process make a small negative possible when nothing else ran.
      return seconds > 0 ? round(Math.max(0, others) / (seconds * 1e6), 3) : 0;
    },
  };
}
