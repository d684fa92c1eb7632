// node:http and node:https through require, not `import`: Node 24 builds an ES module's view of a builtin by
// reading every export, and node:http's lazy ones (WebSocket, CloseEvent, MessageEvent) load Node's bundled
// undici, ~13 MB of memory and ~50 ms of CPU that nothing here uses (bench/README.md "A real run").
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export const http = load('node:http') as typeof import('node:http');
/** Loaded at its first use: most runs talk plain HTTP to the loopback gate or nothing at all. */
export const https = (): typeof import('node:https') => load('node:https') as typeof import('node:https');
