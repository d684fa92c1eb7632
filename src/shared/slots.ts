// How runs over many instances share `concurrency`: at most `concurrency` of them in their costly
// part at a time (for this runner, bwdc: what the setting promises), and as many again admitted
// alongside to prepare and to tidy up, so a slot that frees is taken at once by a run that is ready
// (bench/README.md, "The scheduler at scale"). FIFO throughout (p-limit), so no run starves. Used by
// the scheduler and by one-shot `run`; knows nothing of what the costly part is.
import pLimit, { type LimitFunction } from 'p-limit';
import { RunNotStartedError } from '../errors.js';

/** What a run wraps its costly part in. Rejects with RunNotStartedError once the runner is stopping. */
export type CostlySlot = <T>(work: () => Promise<T>) => Promise<T>;
/** What a run wraps a wait in (between attempts): it gives up its admission meanwhile, and queues again after. */
export type Away = <T>(work: () => Promise<T>) => Promise<T>;

export class Slots {
  private readonly admitted: LimitFunction;
  private readonly costly: LimitFunction;

  constructor(
    concurrency: number,
    /** True once no new costly work may start (shutdown). */
    private readonly stopping: () => boolean,
  ) {
    this.admitted = pLimit(concurrency * 2);
    this.costly = pLimit(concurrency);
  }

  setConcurrency(n: number): void {
    this.admitted.concurrency = n * 2;
    this.costly.concurrency = n;
  }

  /** Runs `run` once admitted, handing it the costly slot for its costly part and `away` for its waits. */
  async run<T>(run: (costly: CostlySlot, away: Away) => Promise<T>): Promise<T> {
    let release = await this.admit();
    const away: Away = async (work) => {
      release();
      try {
        return await work();
      } finally {
        release = await this.admit();
      }
    };
    try {
      return await run(this.costlySlot, away);
    } finally {
      release();
    }
  }

  /** Waits for admission (FIFO); resolves with the function that gives it up. */
  private admit(): Promise<() => void> {
    return new Promise((admitted) => {
      void this.admitted(() => new Promise<void>((release) => admitted(release)));
    });
  }

  readonly costlySlot: CostlySlot = (work) =>
    this.costly(() => (this.stopping() ? Promise.reject(new RunNotStartedError()) : work()));

  /** Runs waiting to be admitted or waiting for the costly slot. */
  get waiting(): number {
    return this.admitted.pendingCount + this.costly.pendingCount;
  }
}
