// One instance syncing a real slapd (helpers/slapd.ts) with the REAL bwdc (helpers/real-bwdc.ts) into a new
// organization of the test Bitwarden server: what the real-bwdc gate and history tests each set up.
import { randomUUID } from 'node:crypto';
import { CANARY_CLIENT_SECRET, bitwarden, makeFixture, runCli } from './fixture.js';
import { realBwdc } from './real-bwdc.js';
import { userDn, type Slapd } from './slapd.js';

export function slapdInstance(
  slapd: Slapd,
  opts: { members?: string[]; sync?: Record<string, unknown>; guard?: Record<string, unknown> } = {},
) {
  const clientId = `organization.${randomUUID()}`;
  bitwarden.addClient(clientId, CANARY_CLIENT_SECRET);
  const org = bitwarden.organization(clientId);
  for (const x of opts.members ?? []) org.addMember({ email: `${x}@example.com`, externalId: userDn(x) });
  const fx = makeFixture('corp');
  const config = fx.writeConfig([
    {
      name: 'corp',
      dataJson: undefined,
      clientId,
      directory: slapd.directory,
      sync: { ...slapd.sync, ...opts.sync },
      ...(opts.guard ? { guard: opts.guard } : {}),
    },
  ]);
  const env = fx.fileEnv({ BWDC_PATH: realBwdc()!, BWDC_PASS_ENV: '' });
  const cli = (args: string[]) => runCli([...args, '-c', config], env);
  return { clientId, org, fx, cli };
}
