export interface WorkloadSpec {
  readonly name: 'fanout' | 'small';
  readonly rooms: number;
  readonly members: number;
  readonly sendersPerRoom: number;
}

/** The backend API's figures (bench/api.ts). */
export interface ApiSizes {
  /** Each publish and /healthz throughput window. */
  readonly publishMs: number;
  /** Sockets in the room a publish fans out to. */
  readonly receivers: number;
  /** Presence queries per room size. */
  readonly presenceCalls: number;
  /** Sockets in the presence room, one step each; 10 000 needs `ulimit -n` above ~11 000. */
  readonly presenceRoomSizes: number[];
}

export interface Sizes {
  readonly workers: number;
  /** Idle connections opened for the memory and setup-rate figures. */
  readonly idleConnections: number;
  /** Handshakes in flight at once, over all workers. */
  readonly connectConcurrency: number;
  readonly workloads: WorkloadSpec[];
  /** The offered load at which every mode's latency is compared, in deliveries/s. */
  readonly fixedDeliveriesPerS: number;
  readonly warmupMs: number;
  readonly windowMs: number;
  readonly stepMs: number;
  readonly maxSteps: number;
  readonly rampFactor: number;
  readonly overloadMs: number;
  readonly textBytes: number;
  /** Bound on waiting for in-flight deliveries between windows. */
  readonly drainMaxMs: number;
  readonly api: ApiSizes;
}

export const FULL: Sizes = {
  workers: 2,
  idleConnections: 4_000,
  connectConcurrency: 64,
  workloads: [
    { name: 'fanout', rooms: 1, members: 200, sendersPerRoom: 4 },
    { name: 'small', rooms: 100, members: 4, sendersPerRoom: 1 },
  ],
  fixedDeliveriesPerS: 20_000,
  warmupMs: 1_000,
  windowMs: 3_000,
  stepMs: 2_000,
  maxSteps: 7,
  rampFactor: 1.5,
  overloadMs: 5_000,
  textBytes: 80,
  drainMaxMs: 5_000,
  api: { publishMs: 5_000, receivers: 100, presenceCalls: 100, presenceRoomSizes: [1_000, 10_000] },
};

/** Coarser ramp (×3 steps) and sub-second windows: for a first look and CI, not for the docs' figures. */
export const QUICK: Sizes = {
  ...FULL,
  idleConnections: 400,
  connectConcurrency: 32,
  workloads: [
    { name: 'fanout', rooms: 1, members: 100, sendersPerRoom: 4 },
    { name: 'small', rooms: 50, members: 4, sendersPerRoom: 1 },
  ],
  fixedDeliveriesPerS: 10_000,
  warmupMs: 150,
  windowMs: 700,
  stepMs: 400,
  maxSteps: 3,
  rampFactor: 3,
  overloadMs: 700,
  textBytes: 80,
  drainMaxMs: 500,
  api: { publishMs: 2_000, receivers: 100, presenceCalls: 30, presenceRoomSizes: [1_000] },
};

/** For the harness's own test: every figure, no meaning. */
export const TINY: Sizes = {
  ...QUICK,
  workers: 1,
  // Enough that their heap (~2 KB each on raw ws) outweighs what a server frees on its own between the two samples
  // (an idle HTTP keep-alive socket, pending log writes: up to ~150 KB seen under a loaded test run).
  idleConnections: 200,
  connectConcurrency: 20,
  workloads: [
    { name: 'fanout', rooms: 1, members: 10, sendersPerRoom: 2 },
    { name: 'small', rooms: 3, members: 4, sendersPerRoom: 1 },
  ],
  fixedDeliveriesPerS: 500,
  warmupMs: 100,
  windowMs: 400,
  stepMs: 250,
  maxSteps: 2,
  overloadMs: 300,
  drainMaxMs: 500,
  api: { publishMs: 300, receivers: 10, presenceCalls: 5, presenceRoomSizes: [1_000] },
};
