// Instances for the real-bwdc tier: a fixture (test/helpers/fixture.ts) whose config file holds directory
// blocks for the test slapd, run through a wrapper that records each bwdc start (its pid and argv) and
// then execs the real bwdc, so the process the runner manages IS the real bwdc.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFixture, type Fixture } from './fixture.js';
import type { Slapd } from './slapd.js';

export interface RealInstance {
  fx: Fixture;
  config: string;
  env: Record<string, string>;
  wrapper: string;
  /** The bwdc starts so far: pid (= its process group: the runner starts it as a group leader) and argv. */
  starts(): Array<{ pid: number; argv: string }>;
  /** Every file under the state folder with its mode and content. */
  stateFiles(): Array<{ path: string; mode: number; text: string }>;
}

/**
 * `instances` are merged over `{ directory: slapd.directory, sync: slapd.sync }`. With `sleeper`, the wrapper
 * leaves a `sleep` in bwdc's process group first (its pid in sleeper.pid), to see the whole group killed.
 */
export function realInstance(
  bwdc: string,
  slapd: Slapd,
  instances: Array<Record<string, unknown>> = [{ name: 'ldap' }],
  opts: { sleeper?: boolean; extraConfig?: string } = {},
): RealInstance {
  const fx = makeFixture();
  const bin = join(fx.dir, 'bin');
  mkdirSync(bin);
  const wrapper = join(bin, 'bwdc');
  const startsLog = join(fx.dir, 'starts.log');
  writeFileSync(
    wrapper,
    [
      '#!/bin/sh',
      `echo "$$ $*" >> '${startsLog}'`,
      opts.sleeper ? `sleep 300 & echo $! > '${join(fx.dir, 'sleeper.pid')}'` : '',
      `exec '${bwdc}' "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(wrapper, 0o755);
  const config = fx.writeConfig(
    instances.map((i) => ({ dataJson: undefined, directory: slapd.directory, sync: slapd.sync, ...i })),
    opts.extraConfig,
  );
  return {
    fx,
    config,
    wrapper,
    env: fx.fileEnv({ BWDC_PATH: wrapper, BWDC_RUNNER_CONFIG: config }),
    starts: () =>
      existsSync(startsLog)
        ? readFileSync(startsLog, 'utf8')
            .trim()
            .split('\n')
            .map((l) => ({ pid: Number(l.split(' ')[0]), argv: l.slice(l.indexOf(' ') + 1) }))
        : [],
    stateFiles: () => walk(fx.stateDir),
  };
}

function walk(dir: string): Array<{ path: string; mode: number; text: string }> {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) return walk(path);
    return [{ path, mode: st.mode & 0o777, text: readFileSync(path, 'latin1') }];
  });
}
