// awssm://SECRET-ID-OR-ARN#KEY through the real AWS SDK: its default credential chain (env, shared
// config, IRSA web identity, Pod Identity / container and instance roles), the standard
// AWS_ENDPOINT_URL_SECRETS_MANAGER override, one client per region.
import type { GetSecretValueCommandOutput, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretError, errorMessage } from '../../../errors.js';
import type { Env, Reference, ResolveContext, SecretProvider } from '../../provider.js';
import { withRetries, type SecretRequestPolicy } from '../../retry.js';
import { pickKey } from '../../pick-key.js';

type Sdk = typeof import('@aws-sdk/client-secrets-manager');

const transientNames = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'InternalServiceError',
  'ServiceUnavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);
const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** An ARN carries its region: arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME. */
export function regionOf(ref: Reference, env: Env): string | undefined {
  if (ref.params.region) return ref.params.region;
  const arn = /^arn:[^:]+:secretsmanager:([^:]+):/.exec(ref.target);
  if (arn) return arn[1];
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
}

/** The vendor's reason, without request ids or signed-request details. */
export function describeAwsError(ref: Reference, err: unknown): SecretError {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const message = errorMessage(err)
    .replace(/Credential=[^,\s]+/g, 'Credential=…')
    .replace(/request id: [\w-]+/gi, '')
    .trim();
  let why: string;
  let transient = false;
  if (name === 'ResourceNotFoundException')
    why = 'secret not found (check the name or ARN, the region and ?versionStage=)';
  else if (name === 'AccessDeniedException' || name === 'AccessDenied')
    why =
      'access denied: the role needs secretsmanager:GetSecretValue on this secret (and kms:Decrypt for a customer-managed key)';
  else if (name === 'DecryptionFailure')
    why = 'Secrets Manager could not decrypt it: the role needs kms:Decrypt on its KMS key';
  else if (name === 'CredentialsProviderError') why = `no AWS credentials found (${message})`;
  else if (transientNames.has(name) || (status !== undefined && status >= 500) || e.$retryable) {
    why = `${name}${status ? ` (HTTP ${status})` : ''}: ${message}`;
    transient = true;
  } else if (
    networkCodes.has(e.code ?? '') ||
    networkCodes.has(name) ||
    /socket hang up|ECONNREFUSED|timed? ?out/i.test(message)
  ) {
    why = `cannot reach Secrets Manager: ${e.code ?? message}`;
    transient = true;
  } else why = `${name}: ${message}`;
  return new SecretError(`${ref.text}: ${why}`, { transient, cause: err });
}

export class SecretsManagerProvider implements SecretProvider {
  readonly scheme = 'awssm' as const;
  private readonly clients = new Map<string, SecretsManagerClient>();
  /** Requests sent, for the benchmarks and metrics. */
  requests = 0;

  constructor(
    private readonly sdk: Sdk,
    private readonly env: Env,
    private readonly policy: SecretRequestPolicy,
  ) {}

  private client(region: string | undefined): SecretsManagerClient {
    const key = region ?? '';
    let c = this.clients.get(key);
    if (!c) {
      c = new this.sdk.SecretsManagerClient({
        ...(region ? { region } : {}),
        maxAttempts: 1, // retries are ours: see retry.ts
        requestHandler: { requestTimeout: this.policy.timeoutMs, connectionTimeout: this.policy.timeoutMs },
      });
      this.clients.set(key, c);
    }
    return c;
  }

  async resolve(ref: Reference, ctx: ResolveContext): Promise<string> {
    const region = regionOf(ref, this.env);
    if (!region) throw new SecretError(`${ref.text}: no AWS region; add ?region=, use an ARN, or set AWS_REGION`);
    const client = this.client(region);
    const out: GetSecretValueCommandOutput = await withRetries(
      ref.text,
      this.policy,
      ctx.log,
      () => {
        this.requests++;
        return client.send(
          new this.sdk.GetSecretValueCommand({
            SecretId: ref.target,
            VersionStage: ref.params.versionStage,
            VersionId: ref.params.versionId,
          }),
          { abortSignal: ctx.signal as never },
        );
      },
      (err) => describeAwsError(ref, err),
      ctx.signal,
    );
    if (out.SecretString === undefined) {
      throw new SecretError(`${ref.text}: the secret is binary (SecretBinary); store the value as a string secret`);
    }
    return pickKey(ref, out.SecretString);
  }

  async close(): Promise<void> {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
  }
}
