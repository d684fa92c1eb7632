// Which Bitwarden server the runner's own requests (the token, the Public API) go to: the one data.json
// names, as bwdc reads it (shared/service-urls.ts). Never Bitwarden's cloud by default when data.json or
// its server setting cannot be read: a self-hosted organization's key would go to the cloud (class config).
import { serviceUrlOf, unreadableServer, type BitwardenService } from '../../shared/service-urls.js';
import { ExitCode } from '../../errors.js';
import type { InstanceState, JsonObject } from '../../state/instance-state.js';
import { RunFailure } from './failure.js';

export async function serverOf(
  state: InstanceState,
  service: BitwardenService,
): Promise<{ url: string; data: JsonObject }> {
  const status = await state.readDataJson();
  const why = status.ok ? unreadableServer(status.data) : `data.json is ${status.why}`;
  if (why || !status.ok)
    throw new RunFailure(
      `cannot tell which Bitwarden server to use: ${why}; not falling back to Bitwarden's cloud`,
      'config',
      ExitCode.config,
    );
  return { url: serviceUrlOf(status.data, service), data: status.data };
}
