// The import gate's planning, off the event loop (docs/guard-rails.md "Cost"): a worker thread of its
// own reads the organization (Public API: ~20 MB of JSON at 100,000 members), keeps the model between
// the requests of one sync (largeImport batches) and plans each request; the main thread only posts the
// request's text and receives the cumulative plan. In-process planning (inProcessPlanner) is the same
// code on the caller's thread: for a small organization (gated-sync.ts chooses), where a thread's start
// (~0.5 s of CPU) would cost more than the plan, and for the tests of the gate's decisions.
import { Worker } from 'node:worker_threads';
import type { OrganizationState } from '../bitwarden/public-api.js';
import { BitwardenError, type BitwardenFailure } from '../bitwarden/request-error.js';
import { emptyPlan, planRequest, type ImportRequest, type Plan } from '../plan/compute.js';
import { OrgModel } from '../plan/org-model.js';

export interface Planner {
  /** The plan of every request so far, this one included; the organization is read on the first. */
  plan(text: string, token: string): Promise<Plan>;
  /** bwdc has started: a planner that reads the organization ahead of the first request starts now. */
  begin?(): void;
  close(): Promise<void>;
}

/**
 * Plans on the caller's thread. With `early` (the token bwdc was given: login: runner), the organization
 * is read from `begin` on, while bwdc starts, so that the gate has it when the import arrives; a failed
 * early read is done again with the request's token. `close` stops a read still under way (bwdc sent
 * nothing). Not before `begin`: setting up its requests would delay bwdc's start by ~10 ms.
 */
export function inProcessPlanner(
  read: (token: string, signal?: AbortSignal) => Promise<OrganizationState>,
  early?: string,
): Planner {
  const stop = new AbortController();
  let model: OrgModel | undefined;
  let plan: Plan | undefined;
  let prefetched: Promise<OrganizationState> | undefined;
  return {
    begin() {
      if (early === undefined || prefetched || model) return;
      prefetched = read(early, stop.signal);
      prefetched.catch(() => undefined); // judged (or read again) when a request arrives
    },
    async plan(text, token) {
      if (!model) {
        const org = await (prefetched ?? read(token, stop.signal)).catch((err: unknown) => {
          if (!prefetched) throw err;
          prefetched = undefined;
          return read(token, stop.signal);
        });
        model ??= new OrgModel(org);
        plan ??= emptyPlan(model);
      }
      planRequest(model, JSON.parse(text) as ImportRequest, plan!);
      return plan!;
    },
    close: () => {
      stop.abort();
      return Promise.resolve();
    },
  };
}

export interface WorkerSettings {
  apiUrl: string;
  timeoutMs: number;
}

type Reply = { ok: true; plan: Plan } | { ok: false; message: string; failureClass: BitwardenFailure | undefined };

export function workerPlanner(settings: WorkerSettings): Planner {
  // Started with the first request: most syncs send nothing (bwdc's unchanged-check) and need no thread.
  let worker: Worker | undefined;
  let failed: Error | undefined;
  const start = () => {
    const w = new Worker(new URL('./planner-worker.js', import.meta.url), { workerData: settings });
    w.unref();
    w.on('error', (err) => (failed = err));
    return w;
  };
  return {
    plan(text, token) {
      if (failed) return Promise.reject(failed);
      const w = (worker ??= start());
      return new Promise<Plan>((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        w.once('error', onError);
        w.once('message', (reply: Reply) => {
          w.off('error', onError);
          if (reply.ok) resolve(reply.plan);
          else
            reject(
              reply.failureClass ? new BitwardenError(reply.message, reply.failureClass) : new Error(reply.message),
            );
        });
        w.postMessage({ text, token });
      });
    },
    close: () => (worker ? worker.terminate().then(() => undefined) : Promise.resolve()),
  };
}
