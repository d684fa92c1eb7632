// What the bwdc in use does that differs between builds, found out by asking it once per binary (path,
// size, mtime) and process: `bwdc config sync.inviteUsersAfterProvisioning true` in a throwaway app-data
// folder. bitwarden/directory-connector main (d9afa86, "Staged Users") src-cli/commands/config.command.ts
// knows the setting and its import carries it; v2026.6.1 answers "Unknown setting." (exit 1) and never
// sends it. Both builds report --version 2026.6.1, so the version alone cannot tell (docs/guard-rails.md).
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BwdcBuild } from '../plan/bwdc-import.js';
import { execBwdc } from './exec.js';

const known = new Map<string, Promise<BwdcBuild>>();

export async function bwdcBuild(path: string, env: Record<string, string>): Promise<BwdcBuild> {
  const s = await stat(path).catch(() => undefined);
  const key = `${path}\n${s?.size ?? 0}\n${s?.mtimeMs ?? 0}`;
  let build = known.get(key);
  if (!build) {
    build = probe(path, env);
    known.set(key, build);
    build.catch(() => known.delete(key));
  }
  return build;
}

async function probe(path: string, env: Record<string, string>): Promise<BwdcBuild> {
  const scratch = await mkdtemp(join(tmpdir(), 'bwdc-runner-probe-'));
  try {
    const r = await execBwdc({
      path,
      args: ['config', 'sync.inviteUsersAfterProvisioning', 'true', '--response', '--nointeraction'],
      env: { ...env, HOME: scratch, BITWARDENCLI_CONNECTOR_APPDATA_DIR: scratch },
      cwd: scratch,
      timeoutMs: 30_000,
      killGraceMs: 1000,
    });
    return { sendsInviteSetting: r.code === 0 };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
