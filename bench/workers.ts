import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { stopProcess } from '../tools/processes';
import type { WorkerCommand, WorkerReply } from './worker-protocol';

type Command = WorkerCommand extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;

/** The load generators: separate processes, so their CPU is neither the servers' nor hidden. */
export class Workers {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(r: WorkerReply): void; reject(e: Error): void }>();

  private constructor(private readonly children: ChildProcess[]) {
    for (const child of children) {
      child.on('message', (r: WorkerReply) => {
        const p = this.pending.get(r.id);
        if (!p) return;
        this.pending.delete(r.id);
        if (r.type === 'error') p.reject(new Error(`load worker: ${r.message}`));
        else p.resolve(r);
      });
      child.once('exit', (code, signal) => {
        for (const p of this.pending.values()) p.reject(new Error(`load worker exited (${code ?? signal})`));
        this.pending.clear();
      });
    }
  }

  static async start(count: number): Promise<Workers> {
    const children = Array.from({ length: count }, () =>
      fork(join(__dirname, 'load-worker.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    await Promise.all(children.map((c) => new Promise((resolve, reject) => c.once('spawn', resolve).once('error', reject))));
    return new Workers(children);
  }

  get count(): number {
    return this.children.length;
  }

  get pids(): number[] {
    return this.children.map((c) => c.pid!);
  }

  call(index: number, cmd: Command, timeoutMs = 120_000): Promise<WorkerReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`load worker did not answer ${cmd.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.children[index].send({ ...cmd, id });
    });
  }

  all(make: (index: number) => Command | undefined): Promise<WorkerReply[]> {
    return Promise.all(
      this.children.map((_, i) => {
        const cmd = make(i);
        return cmd ? this.call(i, cmd) : Promise.resolve<WorkerReply>({ id: 0, type: 'done' });
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((c) => stopProcess(c, 'SIGTERM', 2_000)));
  }
}
