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
const { runBundle } = require('./code-cache.js');

// The bundle's code cache (bin/code-cache.js: every function, made at image build; docs/image.md "Compile
// cache"), in the folder NODE_COMPILE_CACHE names or the one beside bin/.
// Not for `schedule`: it starts once, and in the 1,000-instance benchmark the caches cost its peak RSS
// ~10 MB (bench/README.md "A real run").
const cache = process.env.NODE_COMPILE_CACHE || join(__dirname, '..', 'compile-cache');
const cached = existsSync(cache) && !process.argv.slice(2).includes('schedule');
runBundle(cached ? cache : undefined);
