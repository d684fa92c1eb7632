// The worker side of gate/planner.ts: one organization model per sync, read with the token of the
// first request (Public API), every request planned against what the earlier ones left.
import { parentPort, workerData } from 'node:worker_threads';
import { readOrganization } from './read-organization.js';
import { BitwardenError } from '../bitwarden/request-error.js';
import { inProcessPlanner, type WorkerSettings } from './planner.js';

const settings = workerData as WorkerSettings;
const planner = inProcessPlanner((accessToken) =>
  readOrganization({ apiUrl: settings.apiUrl, accessToken, timeoutMs: settings.timeoutMs }),
);

parentPort!.on('message', (msg: { text: string; token: string }) => {
  planner.plan(msg.text, msg.token).then(
    (plan) => parentPort!.postMessage({ ok: true, plan }),
    (err: unknown) =>
      parentPort!.postMessage({
        ok: false,
        message: err instanceof Error ? err.message : String(err),
        failureClass: err instanceof BitwardenError ? err.failureClass : undefined,
      }),
  );
});
