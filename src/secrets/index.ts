// The default set of providers. Vault, AWS and Bitwarden Secrets Manager register as factories: their SDKs are imported only
// when a reference needs them, so `--version` and env/file-only setups never pay for them.
import type { Logger } from '../observability/logger.js';
import type { SecretScheme } from '../shared/secret-ref.js';
import type { Env, ProviderFactory, SecretProvider } from './provider.js';
import { envProvider } from './providers/env.js';
import { fileProvider } from './providers/file.js';
import { awsSecretsManagerFactory } from './providers/aws/index.js';
import { vaultFactory } from './providers/vault/index.js';
import { bwsFactory } from './providers/bws/index.js';
import { SecretResolver } from './resolver.js';

export { SecretResolver, SecretSession } from './resolver.js';

/** One provider per scheme of shared/secret-ref.ts: a scheme without one does not compile. */
const providers: Record<SecretScheme, SecretProvider | ProviderFactory> = {
  vault: vaultFactory,
  awssm: awsSecretsManagerFactory,
  bws: bwsFactory,
  file: fileProvider,
  env: envProvider,
};

export function createSecretResolver(env: Env, log: Logger): SecretResolver {
  const resolver = new SecretResolver(env, log);
  for (const [scheme, provider] of Object.entries(providers)) {
    if (provider.scheme !== scheme) throw new Error(`secret provider "${provider.scheme}" is listed under ${scheme}`);
    resolver.register(provider);
  }
  return resolver;
}
