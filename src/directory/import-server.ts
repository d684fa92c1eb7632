// The server of an imported data.json (environmentUrls) as the runner's one `server` setting, or a
// refusal saying why: a self-hosted server given by per-service URLs must never become the US cloud
// (docs/configuration.md "config import"). The runner's `server` is a base URL: bwdc then reaches
// <base>/api and <base>/identity (src/shared/service-urls.ts), so per-service URLs are kept exactly
// when they are those; any other URL is on the same server (it starts with the base) or refused.
import { serviceUrl } from '../shared/service-urls.js';

const clouds: Record<string, string> = {
  'https://api.bitwarden.com': 'us',
  'https://api.bitwarden.eu': 'eu',
};

const trim = (u: string) => u.replace(/\/+$/, '');

/** `us`, `eu`, a base URL, or undefined when the file names no server (bwdc's default: the US cloud). */
export function importedServer(environmentUrls: unknown): string | undefined {
  const urls = Object.fromEntries(
    Object.entries((environmentUrls ?? {}) as Record<string, unknown>)
      .filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '')
      .map(([k, v]) => [k, trim(v)]),
  );
  if (Object.keys(urls).length === 0) return undefined;
  const cloud = urls.base ? undefined : clouds[urls.api ?? ''];
  if (cloud) return cloud;
  const base = urls.base ?? urls.api?.replace(/\/api$/, '') ?? urls.identity?.replace(/\/identity$/, '');
  const kept = (key: string, url: string) =>
    key === 'api' || key === 'identity'
      ? serviceUrl({ base }, key) === url
      : base !== undefined && (url === base || url.startsWith(`${base}/`));
  const lost = Object.entries(urls).filter(([k, u]) => k !== 'base' && !kept(k, u));
  if (base === undefined || lost.length)
    throw new Error(
      `names its server by per-service URLs (${Object.entries(urls)
        .map(([k, u]) => `${k}: ${u}`)
        .join(', ')}) that one base URL cannot express; the runner's server setting is a base URL whose ` +
        'services are <base>/api and <base>/identity. Either set up the server so, or keep this file as a ' +
        'data.json template (dataJson: PATH in the config file, or BWDC_DATA_JSON), which keeps its environmentUrls as they are',
    );
  return base;
}
