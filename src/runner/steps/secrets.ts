// Step "secrets": the client secret and the directory secret of one attempt, through the run's secret
// session. Outside the costly slot: a slow Vault or AWS answer does not hold a bwdc slot. Checked before
// anything is sent anywhere: a value bwdc cannot use never reaches the identity server.
import { directoryKind, storedSecurelyPlaceholder } from '../../bwdc/directory.js';
import { secretAsStored } from '../../directory/types.js';
import { SecretError } from '../../errors.js';
import { redactor } from '../../observability/redact.js';
import type { RunContext, RunSecrets } from '../types.js';
import { RunFailure } from './failure.js';

export async function resolveSecrets({ instance, deps, wipeType }: RunContext): Promise<RunSecrets> {
  const where = instance.origin;
  try {
    const clientSecret = await deps.secrets.resolve(instance.clientSecret, `${where} clientSecret`);
    const resolved = instance.directorySecret
      ? await deps.secrets.resolve(instance.directorySecret, `${where} directorySecret`)
      : undefined;
    const kind = directoryKind(wipeType);
    if (resolved !== undefined && !kind)
      throw new RunFailure(`data.json directoryType ${wipeType} has no secret setting`, 'config');
    const directorySecret = resolved !== undefined && kind ? secretAsStored(kind, resolved) : resolved;
    if (directorySecret !== resolved) redactor.add(directorySecret); // the form bwdc holds is masked too
    if (directorySecret === storedSecurelyPlaceholder) {
      throw new RunFailure(
        // Not quoted: it is the resolved value, which the redactor masks.
        `${where} directorySecret: the value is the placeholder a desktop export writes in place of the secret ` +
          '(STORED SECURELY, in brackets): point the reference at the real secret',
        'config',
      );
    }
    return { clientSecret, directorySecret };
  } catch (err) {
    // A backend's passing trouble (Vault sealed, 5xx, throttling) is worth another attempt of the run.
    if (err instanceof SecretError) throw new RunFailure(err.message, 'secret', err.transient);
    throw err;
  }
}
