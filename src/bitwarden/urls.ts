// Where bwdc sends its requests for a data.json (bwdc-contract.md): environmentUrls.<service>, else
// <base>/<service> for a self-hosted or EU server, else the US cloud's own host.
import { sectionOf } from '../shared/json.js';

const cloud = { identity: 'https://identity.bitwarden.com', api: 'https://api.bitwarden.com' } as const;

export function serviceUrlOf(data: Record<string, unknown>, service: keyof typeof cloud): string {
  const urls = sectionOf(data, 'environmentUrls');
  const own = urls[service];
  if (typeof own === 'string' && own) return own.replace(/\/+$/, '');
  if (typeof urls.base === 'string' && urls.base) return `${urls.base.replace(/\/+$/, '')}/${service}`;
  return cloud[service];
}
