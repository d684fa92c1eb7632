import { createRequire } from 'node:module';
import { SecretError } from '../../../errors.js';
import type { ProviderFactory } from '../../provider.js';
import { secretRequestPolicy } from '../../retry.js';
import type { NativeSdk } from './sdk.js';

/** Loads Bitwarden's SDK (a native module) only when a bws:// reference is first resolved. */
export const bwsFactory = {
  scheme: 'bws',
  async load(env) {
    let native: NativeSdk;
    try {
      native = createRequire(import.meta.url)('@bitwarden/sdk-napi-linux-x64-gnu') as NativeSdk;
    } catch (err) {
      throw new SecretError(
        `bws:// needs Bitwarden's SDK (@bitwarden/sdk-napi-linux-x64-gnu, Linux x64 with glibc), ` +
          `which did not load: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    const { BwsProvider } = await import('./secrets-manager.js');
    return new BwsProvider(native, env, secretRequestPolicy(env));
  },
} satisfies ProviderFactory;
