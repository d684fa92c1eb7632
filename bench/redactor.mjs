// The redactor (src/observability/redact.ts) over a long `schedule`, in-process: --tokens organization
// tokens arrive, --keys of them per token lifetime (one per API key), each registered with its expiry as
// the token cache does; the clock is simulated. Reports the values still held, the cost of all the adds,
// the cost of masking one log line, and the heap. bench/README.md has the numbers.
//   node --expose-gc --import tsx bench/redactor.mjs --tokens 78000 --keys 20
import { Redactor } from '../src/observability/redact.ts';
import { arg } from './lib.mjs';

const tokens = Number(arg('tokens', 78000));
const keys = Number(arg('keys', 20));
const lifetimeMs = 3_600_000;
let now = 0;
const r = new Redactor(() => now);
const line =
  '{"level":"info","time":"2026-12-02T13:00:00.000Z","instance":"s1","runId":"abcd1234","msg":"Synced 2 group(s) and 3 user(s)."}';
const t0 = performance.now();
for (let i = 0; i < tokens; i++) {
  // About the size of a real organization token (a JWT of ~700 characters).
  r.add(
    `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(String(i)).toString('base64url')}${'x'.repeat(600)}.sig${i}`,
    now + lifetimeMs,
  );
  now += lifetimeMs / keys;
}
const addMs = performance.now() - t0;
globalThis.gc?.();
const t1 = performance.now();
for (let i = 0; i < 1000; i++) r.scrub(line);
console.log(
  JSON.stringify(
    {
      tokens,
      keys,
      held: r.size,
      addsTotalMs: Math.round(addMs),
      scrubPerLineMicroseconds: Number((performance.now() - t1).toFixed(1)),
      heapUsedMB: Math.round(process.memoryUsage().heapUsed / 1048576),
    },
    null,
    2,
  ),
);
