// The default set of providers. Vault, AWS and Bitwarden Secrets Manager register as factories: their SDKs are imported only
// when a reference needs them, so `--version` and env/file-only setups never pay for them.
import type { Logger } from '../observability/logger.js';
import type { Env } from './provider.js';
import { envProvider } from './providers/env.js';
import { fileProvider } from './providers/file.js';
import { awsSecretsManagerFactory } from './providers/aws/index.js';
import { vaultFactory } from './providers/vault/index.js';
import { bwsFactory } from './providers/bws/index.js';
import { SecretResolver } from './resolver.js';

export { SecretResolver, SecretSession } from './resolver.js';

export function createSecretResolver(env: Env, log: Logger): SecretResolver {
  return new SecretResolver(env, log)
    .register(envProvider)
    .register(fileProvider)
    .register(vaultFactory)
    .register(awsSecretsManagerFactory)
    .register(bwsFactory);
}
