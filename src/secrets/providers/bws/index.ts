import type { ProviderFactory } from '../../provider.js';
import { secretRequestPolicy } from '../../retry.js';

/** Imports Bitwarden's SDK (a native module) only when a bws:// reference is first resolved. */
export const bwsFactory = {
  scheme: 'bws',
  async load(env) {
    const [sdk, { BwsProvider }] = await Promise.all([import('@bitwarden/sdk-napi'), import('./secrets-manager.js')]);
    return new BwsProvider(sdk, env, secretRequestPolicy(env));
  },
} satisfies ProviderFactory;
