// One organization of its own on the test Bitwarden server, a fixture whose bwdc double reads the given
// directory, and a config with one instance: what the plan, gate and server-rule tests share.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Organization } from '../bitwarden-server/organization.js';
import type { SyncSettings } from '../../src/plan/compute.js';
import type { OrganizationState } from '../../src/bitwarden/public-api.js';
import { CANARY_CLIENT_SECRET, bitwarden, makeFixture, runCli } from './fixture.js';

export type DirUser = { externalId: string; email?: string; disabled?: boolean; deleted?: boolean };
export type DirGroup = { externalId: string; name: string; members: string[] };

/** An organization of its own (a client id and key of its own), a fixture, and a config with one block. */
export function setup(opts: {
  users: DirUser[];
  groups?: DirGroup[];
  sync?: Record<string, unknown>;
  guard?: Record<string, unknown>;
  org?: (org: Organization) => void;
  /** More keys for the double's control file (build, batchSize). */
  control?: Record<string, unknown>;
  /** More keys of the instance (retry, timeout). */
  instance?: Record<string, unknown>;
}) {
  const clientId = `organization.${randomUUID()}`;
  bitwarden.addClient(clientId, CANARY_CLIENT_SECRET);
  const org = bitwarden.organization(clientId);
  opts.org?.(org);
  const fx = makeFixture('corp');
  fx.control({ apiHttp: true, ...opts.control, directory: { users: opts.users, groups: opts.groups ?? [] } });
  const config = fx.writeConfig([
    {
      name: 'corp',
      dataJson: undefined,
      clientId,
      directory: { type: 'ldap', hostname: 'ldap.test', port: 389, rootPath: 'dc=test', username: 'cn=bwdc,dc=test' },
      sync: { users: true, groups: true, ...opts.sync },
      ...(opts.guard ? { guard: opts.guard } : {}),
      ...opts.instance,
    },
  ]);
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    runCli([...args, '-c', config], fx.fileEnv(extra));
  const planJson = async () => {
    const r = await cli(['plan', '--json']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    return JSON.parse(r.stdout).instances[0];
  };
  return { org, fx, cli, planJson, clientId };
}

/** Sync settings for computePlan alone: users and groups, nothing that removes, invitations on. */
export const baseSettings: SyncSettings = {
  users: true,
  groups: true,
  overwriteExisting: false,
  removeDisabled: false,
  largeImport: false,
  inviteUsersAfterProvisioning: true,
};
export const emptyOrg: OrganizationState = { members: [], groups: [], subscription: undefined, selfHosted: false };
