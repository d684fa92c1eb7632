// Loads the bundle (dist/main.js) with a V8 code cache that holds ALL of its functions, and writes that cache.
// Node's own compile cache (module.enableCompileCache) keeps only what V8 compiled before the bundle ran:
// its top-level code. Every function a run calls was compiled again at every start; with this cache none is
// (a one-shot run's overhead over bwdc: ~141 -> ~121 ms, bench/README.md "A real run").
//   node <the ENTRYPOINT's flags> bin/code-cache.js DIR    writes DIR/bwdc-runner-main.v8cache (image build)
// V8 accepts a cache only from the same V8, the same flags and the same source; anything else is refused and
// the bundle is compiled as without one, so a stale or foreign file costs a read, never a wrong run.
'use strict';
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { createRequire, wrap, Module } = require('node:module');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

const cacheName = 'bwdc-runner-main.v8cache';
const bundle = join(__dirname, '..', 'dist', 'main.js');

/** The bundle compiled as a CommonJS module's function, with the cache in `dir` when there is one. */
function compile(dir) {
  let cachedData;
  try {
    if (dir) cachedData = readFileSync(join(dir, cacheName));
  } catch {
    /* no cache: compiled as usual */
  }
  const script = new vm.Script(wrap(readFileSync(bundle, 'utf8')), {
    filename: bundle,
    cachedData,
    // The bundle's import() of what it leaves out (the AWS SDK, node-vault, pino-pretty) goes to Node's loader.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  return { script, cache: cachedData === undefined ? 'none' : script.cachedDataRejected ? 'refused' : 'used' };
}

/** Runs the bundle as `require` would, its functions from the cache in `dir` (or compiled as they run). */
function runBundle(dir) {
  const { script } = compile(dir);
  const mod = new Module(bundle, module);
  mod.filename = bundle;
  mod.paths = Module._nodeModulePaths(dirname(bundle));
  script.runInThisContext().call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, dirname(bundle));
}

/**
 * Compiles every function of the bundle now (V8's --no-lazy, for this compile only: the flag is put back
 * before the cache is made, so the cache carries the flags a start runs with) and writes the cache, whole or
 * not at all.
 */
function writeCache(dir) {
  const v8 = require('node:v8');
  v8.setFlagsFromString('--no-lazy');
  let script;
  try {
    script = compile(undefined).script;
  } finally {
    v8.setFlagsFromString('--lazy');
  }
  const tmp = join(dir, `${cacheName}.tmp-${process.pid}`);
  writeFileSync(tmp, script.createCachedData(), { mode: 0o644 });
  renameSync(tmp, join(dir, cacheName));
}

module.exports = { cacheName, compile, runBundle };

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node <flags> bin/code-cache.js DIR\n');
    process.exit(2);
  }
  writeCache(dir);
}
