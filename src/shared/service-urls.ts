// Where a Bitwarden client sends its requests, the rule bwdc (data.json's environmentUrls) and the
// `bws` CLI (BWS_SERVER_URL, BWS_API_URL, BWS_IDENTITY_URL) both follow: the service's own URL, else
// <base>/<service> for a self-hosted or EU server, else the US cloud's own host (docs/upstream/bwdc.md
// "Server URLs").
import { sectionOf } from './json.js';

const cloud = { identity: 'https://identity.bitwarden.com', api: 'https://api.bitwarden.com' } as const;
export type BitwardenService = keyof typeof cloud;

/** `urls`: a base and per-service URLs, any of them unset or empty. */
export function serviceUrl(urls: Readonly<Record<string, unknown>>, service: BitwardenService): string {
  const own = urls[service];
  if (typeof own === 'string' && own) return own.replace(/\/+$/, '');
  if (typeof urls.base === 'string' && urls.base) return `${urls.base.replace(/\/+$/, '')}/${service}`;
  return cloud[service];
}

/** Where bwdc sends `service` requests for a data.json. */
export function serviceUrlOf(data: Record<string, unknown>, service: BitwardenService): string {
  return serviceUrl(sectionOf(data, 'environmentUrls'), service);
}
