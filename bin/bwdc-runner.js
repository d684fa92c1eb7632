#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=1 --optimize-for-size
// The published entry point runs the compiled JavaScript: no tsx at run time, so start-up stays
// close to `node -e 0` (see bench/README.md). A 1 MB young generation and V8's optimize-for-size mode
// make it collect short-lived garbage (bwdc output, data.json parses) early: the scheduler with 1,000
// instances peaks under 100 MB instead of letting the heap grow to 300 MB before collecting.
// MALLOC_ARENA_MAX=2: glibc would give each busy thread (libuv's pool of 16) its own malloc arena;
// two are enough here and save ~5 MB (bench/README.md). bwdc never sees it (its env is an allowlist).
import '../dist/cli/main.js';
