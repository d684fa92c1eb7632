// Which Bitwarden server the runner's own requests (the token, the Public API) go to: the one data.json
// names, as bwdc reads it (shared/service-urls.ts). Never Bitwarden's cloud by default when data.json or
// its server setting cannot be read: a self-hosted organization's key would go to the cloud (class config).
import { noServerMessage, serviceUrlOf, unreadableServer, type BitwardenService } from '../../shared/service-urls.js';
import type { InstanceState, JsonObject } from '../../state/instance-state.js';
import { RunFailure } from './failure.js';

export async function serverOf(
  state: InstanceState,
  service: BitwardenService,
): Promise<{ url: string; data: JsonObject }> {
  const refuse = (why: string) => new RunFailure(noServerMessage(why), 'config');
  const status = await state.readDataJson();
  if (!status.ok) throw refuse(`data.json is ${status.why}`);
  const why = unreadableServer(status.data);
  if (why) throw refuse(why);
  return { url: serviceUrlOf(status.data, service), data: status.data };
}
