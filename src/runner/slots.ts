// How runs over many instances share `concurrency`. At most `concurrency` runs are inside bwdc at
// a time (the costly part, and what the setting promises). As many again are admitted alongside: they
// lock, seed, back up and resolve their secrets while the others' bwdc calls go on, and tidy up after
// leaving bwdc, so a bwdc slot that frees is taken at once by a run that is ready (measured in
// bench/README.md: without this, the runner's own work between bwdc calls left slots idle). FIFO
// throughout (p-limit), so no instance starves.
import pLimit, { type LimitFunction } from 'p-limit';
import { RunNotStartedError } from '../errors.js';

/** What a run wraps its bwdc calls in. Rejects with RunNotStartedError once the runner is stopping. */
export type BwdcGate = <T>(work: () => Promise<T>) => Promise<T>;

export class RunSlots {
  private readonly admitted: LimitFunction;
  private readonly inBwdc: LimitFunction;

  constructor(
    concurrency: number,
    /** True once no new bwdc work may start (shutdown). */
    private readonly stopping: () => boolean,
  ) {
    this.admitted = pLimit(concurrency * 2);
    this.inBwdc = pLimit(concurrency);
  }

  setConcurrency(n: number): void {
    this.admitted.concurrency = n * 2;
    this.inBwdc.concurrency = n;
  }

  /** Runs `run` once admitted, handing it the gate for its bwdc calls. */
  run<T>(run: (gate: BwdcGate) => Promise<T>): Promise<T> {
    return this.admitted(() => run(this.gate));
  }

  readonly gate: BwdcGate = (work) => this.inBwdc(() => (this.stopping() ? Promise.reject(new RunNotStartedError()) : work()));

  /** Runs waiting to be admitted or waiting for bwdc. */
  get waiting(): number {
    return this.admitted.pendingCount + this.inBwdc.pendingCount;
  }
}
