#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=1 --optimize-for-size --max-opt=1
// The published entry point runs the bundle (dist/main.js, built by scripts/build.mjs): no tsx at run time, so start-up stays
// close to `node -e 0`. A small young generation and V8's optimize-for-size mode make it collect
// short-lived garbage (bwdc output, data.json parses) early instead of letting the heap grow first.
// --max-opt=1: V8 stops at its baseline compiler (Sparkplug): no Maglev or TurboFan, whose compile jobs cost
// a one-shot run ~0.2 s of CPU and whose code and zones ~15 MB of a scheduler's peak; the runner waits on
// bwdc and the network, not on hot loops.
// MALLOC_ARENA_MAX=2: glibc would give each busy thread (libuv's pool) its own malloc arena; two are
// enough here. The figures behind all three are in bench/README.md. bwdc never sees them (its env is
// an allowlist).
// CommonJS (bin/package.json): an ES module entry would start Node's ES module loader and build ES module
// views of node:fs and node:module, ~10 ms of a one-shot run that the bundle (dist/main.js, CommonJS) never needs.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { enableCompileCache } = require('node:module');
const { runBundle } = require('./code-cache.js');

// The image's code caches (docs/image.md "Compile cache"), in NODE_COMPILE_CACHE or the folder beside bin/:
// the bundle's own (bin/code-cache.js: every function, written at image build), and Node's for what the bundle
// loads from node_modules. Read-only there, which Node tolerates (it then only reads).
const cache = process.env.NODE_COMPILE_CACHE || join(__dirname, '..', 'compile-cache');
const cached = existsSync(cache);
if (cached) enableCompileCache?.(cache);
runBundle(cached ? cache : undefined);
