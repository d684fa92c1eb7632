// Loads the bundle (dist/main.js) with a V8 code cache that holds ALL of its functions, and writes that cache.
// Node's own compile cache (module.enableCompileCache) keeps only what V8 compiled before the bundle ran:
// its top-level code. Every function a run calls was compiled again at every start; with this cache none is
// (a one-shot run's overhead over bwdc: ~141 -> ~121 ms, bench/README.md "A real run").
//   node <the ENTRYPOINT's flags> bin/code-cache.js DIR    writes DIR/bwdc-runner-main.<hash>.v8cache (image build)
// V8 refuses a cache from another V8 or made under other flags, and the bundle is then compiled as without one.
// It checks the source's length only, not its content: a cache is named after the SHA-256 of the bundle it
// was made from, so a rebuilt or patched bundle never runs the functions of the one before.
'use strict';
const { createHash } = require('node:crypto');
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { createRequire, wrap, Module } = require('node:module');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

const bundle = join(__dirname, '..', 'dist', 'main.js');

/** The cache's file name for this bundle's text. */
function cacheName(source) {
  return `bwdc-runner-main.${createHash('sha256').update(source).digest('hex').slice(0, 32)}.v8cache`;
}

/** The bundle compiled as a CommonJS module's function, with the cache in `dir` when there is one. */
function compile(dir) {
  const source = readFileSync(bundle, 'utf8');
  let cachedData;
  try {
    if (dir) cachedData = readFileSync(join(dir, cacheName(source)));
  } catch {
    /* no cache for this bundle: compiled as usual */
  }
  const script = new vm.Script(wrap(source), {
    filename: bundle,
    cachedData,
  });
  return { script, source, cache: cachedData === undefined ? 'none' : script.cachedDataRejected ? 'refused' : 'used' };
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
  let compiled;
  try {
    compiled = compile(undefined);
  } finally {
    v8.setFlagsFromString('--lazy');
  }
  const path = join(dir, cacheName(compiled.source));
  writeFileSync(`${path}.tmp-${process.pid}`, compiled.script.createCachedData(), { mode: 0o644 });
  renameSync(`${path}.tmp-${process.pid}`, path);
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
