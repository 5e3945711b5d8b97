import { portIsFree } from '../../tools/processes';
export { freePorts } from '../../tools/processes';

/**
 * `n` consecutive free ports, for what takes a base port (npm start's --port). They are drawn
 * from 20,000-29,999: above freePort()'s range and below the kernel's ephemeral range, where outgoing connections take theirs.
 */
export async function freeConsecutivePorts(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 10_000);
    let free = true;
    for (let p = base; p < base + n && free; p++) free = await portIsFree(p);
    if (free) return base;
  }
  throw new Error(`no ${n} consecutive free ports found between 20000 and 30000`);
}
