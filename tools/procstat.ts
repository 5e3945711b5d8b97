// CPU and memory of a Linux process, from /proc/<pid>/stat: what the bench and the soak measure servers by.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const sysconf = (name: string, fallback: number) => {
  const n = Number(spawnSync('getconf', [name], { encoding: 'utf8' }).stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : fallback;
};
const CLK_TCK = sysconf('CLK_TCK', 100);
const PAGE_SIZE = sysconf('PAGESIZE', 4096);

export interface ProcSample {
  /** utime + stime of every thread, in µs (resolution: one clock tick, usually 10 ms). */
  readonly cpuUs: number;
  readonly rssBytes: number;
}

/** Undefined once the process is gone. */
export function sample(pid: number): ProcSample | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses; the fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { cpuUs: (ticks * 1e6) / CLK_TCK, rssBytes: Number(fields[21]) * PAGE_SIZE };
}

export function sampleAll(pids: number[]): ProcSample[] {
  return pids.map((pid) => sample(pid) ?? { cpuUs: 0, rssBytes: 0 });
}

export const sum = (samples: ProcSample[], key: keyof ProcSample) => samples.reduce((s, p) => s + p[key], 0);

/**
 * CPU time the whole machine has spent busy since boot, in µs summed over its CPUs, from /proc/stat's first line:
 * user, nice, system, irq, softirq and steal (time a hypervisor gave to other machines), not idle or iowait.
 * Less the bench's own processes over a window, it is what other work took from the machine then.
 */
export function machineBusyUs(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal = 0] = fields;
  return ((user + nice + system + irq + softirq + steal) * 1e6) / CLK_TCK;
}
