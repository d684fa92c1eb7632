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

/**
 * Why data.json's server setting cannot be read, or undefined when it can: environmentUrls present but
 * not an object, or a base/api/identity URL that is neither a string nor null. The runner then refuses
 * (class config) rather than fall back to the US cloud with a self-hosted organization's key.
 */
export function unreadableServer(data: Record<string, unknown>): string | undefined {
  const urls = data.environmentUrls;
  if (urls === undefined || urls === null) return undefined;
  if (typeof urls !== 'object' || Array.isArray(urls))
    return (
      `data.json environmentUrls is ${Array.isArray(urls) ? 'a list' : `a ${typeof urls}`}; ` +
      'expected an object such as {"base": "https://vault.example.com"}'
    );
  for (const key of ['base', 'api', 'identity'] as const) {
    const v = (urls as Record<string, unknown>)[key];
    if (v !== undefined && v !== null && typeof v !== 'string')
      return `data.json environmentUrls.${key} is a ${typeof v}; expected a URL (a string) or null`;
  }
  return undefined;
}

/** The refusal a run and `check` give when the server setting cannot be read (unreadableServer says why). */
export function noServerMessage(why: string): string {
  return `cannot tell which Bitwarden server to use: ${why}; not falling back to Bitwarden's cloud`;
}
