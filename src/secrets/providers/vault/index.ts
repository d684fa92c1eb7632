import type { ProviderFactory } from '../../provider.js';
import { secretRequestPolicy } from '../../retry.js';

/** Imports node-vault (and axios) only when a vault:// reference is first resolved. */
export const vaultFactory = {
  scheme: 'vault',
  async load(env) {
    const [{ default: nodeVault }, { VaultKvProvider }] = await Promise.all([import('node-vault'), import('./kv.js')]);
    return new VaultKvProvider(nodeVault, env, secretRequestPolicy(env));
  },
} satisfies ProviderFactory;
