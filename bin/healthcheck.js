#!/usr/bin/env node
// The image's HEALTHCHECK: asks `schedule`'s /healthz. With the endpoints off there is nothing to ask.
const port = process.env.BWDC_HTTP_PORT || '8080';
if (port === 'off') process.exit(0);
fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) }).then(
  (r) => process.exit(r.ok ? 0 : 1),
  () => process.exit(1),
);
