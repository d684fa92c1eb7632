import type { ProviderFactory } from '../../provider.js';
import { secretRequestPolicy } from '../../retry.js';

/** Imports the AWS SDK only when an awssm:// reference is first resolved. */
export const awsSecretsManagerFactory = {
  scheme: 'awssm',
  async load(env) {
    const [sdk, { SecretsManagerProvider }] = await Promise.all([
      import('@aws-sdk/client-secrets-manager'),
      import('./secrets-manager.js'),
    ]);
    return new SecretsManagerProvider(sdk, env, secretRequestPolicy(env));
  },
} satisfies ProviderFactory;
