// Resolves secret references through registered providers. Within one run (a session) each
// reference is fetched once, however many instances use it; every value is registered with the
// redactor before anyone sees it.
import { SecretError, errorMessage } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { MIN_MASKED_LENGTH, redactor } from '../observability/redact.js';
import type { Env, ProviderFactory, SecretProvider } from './provider.js';
import { parseSecretRef, type SecretScheme } from '../shared/secret-ref.js';

/** Told of every resolution that went to a provider: for the metrics. */
export type FetchObserver = (scheme: SecretScheme, ok: boolean) => void;

export class SecretResolver {
  private readonly factories = new Map<SecretScheme, ProviderFactory>();
  private readonly loaded = new Map<SecretScheme, Promise<SecretProvider>>();
  private shared: { session: SecretSession; until: number } | undefined;
  observer: FetchObserver | undefined;

  constructor(
    private readonly env: Env,
    private readonly log: Logger,
  ) {}

  register(provider: SecretProvider | ProviderFactory): this {
    if (this.factories.has(provider.scheme))
      throw new Error(`secret provider "${provider.scheme}" is registered twice`);
    const factory: ProviderFactory =
      'load' in provider ? provider : { scheme: provider.scheme, load: async () => provider };
    this.factories.set(provider.scheme, factory);
    return this;
  }

  /** Schemes whose provider module has been loaded (for tests and the cold-start benchmark). */
  loadedSchemes(): SecretScheme[] {
    return [...this.loaded.keys()];
  }

  private provider(scheme: SecretScheme): Promise<SecretProvider> {
    let p = this.loaded.get(scheme);
    if (!p) {
      const factory = this.factories.get(scheme);
      if (!factory) return Promise.reject(new SecretError(`no secret provider for ${scheme}:// in this build`));
      p = factory.load(this.env);
      this.loaded.set(scheme, p);
    }
    return p;
  }

  /** A cache scope: one per run, so rotation is picked up by the next run without a restart. */
  session(signal?: AbortSignal): SecretSession {
    return new SecretSession(this, signal);
  }

  /**
   * A session shared by every run that starts within `ttlMs` of its creation: when a hundred
   * instances fire on the same minute, a secret they share is fetched once, and a rotated value is
   * still picked up by runs after the window.
   */
  sharedSession(ttlMs: number): SecretSession {
    const now = Date.now();
    if (!this.shared || this.shared.until <= now)
      this.shared = { session: new SecretSession(this), until: now + ttlMs };
    return this.shared.session;
  }

  /** @internal used by SecretSession */
  private mask(value: string, where: string): void {
    if (!redactor.add(value))
      this.log.warn(
        { where, minLength: MIN_MASKED_LENGTH },
        'a secret is too short to be masked in logs; use a real secret',
      );
  }

  async fetch(text: string, where: string, signal?: AbortSignal): Promise<string> {
    const ref = parseSecretRef(text);
    if (ref.kind === 'literal') {
      this.mask(ref.value, where);
      return ref.value;
    }
    let provider: SecretProvider;
    try {
      provider = await this.provider(ref.scheme);
    } catch (err) {
      throw new SecretError(`${ref.text}: ${redactor.scrub(errorMessage(err))}`, { cause: err });
    }
    let value: string;
    try {
      value = await provider.resolve(ref, { env: this.env, log: this.log, signal });
      this.observer?.(ref.scheme, true);
    } catch (err) {
      this.observer?.(ref.scheme, false);
      if (err instanceof SecretError) throw err;
      throw new SecretError(`${ref.text}: ${redactor.scrub(errorMessage(err))}`, { cause: err });
    }
    this.mask(value, where);
    if (value === '') throw new SecretError(`${ref.text} (${where}): resolved to an empty value`);
    return value;
  }

  async close(): Promise<void> {
    for (const p of this.loaded.values()) {
      const provider = await p.catch(() => undefined);
      await provider?.close?.();
    }
  }
}

export class SecretSession {
  private readonly cache = new Map<string, Promise<string>>();
  constructor(
    private readonly resolver: SecretResolver,
    private readonly signal?: AbortSignal,
  ) {}

  resolve(text: string, where: string): Promise<string> {
    let p = this.cache.get(text);
    if (!p) {
      p = this.resolver.fetch(text, where, this.signal);
      this.cache.set(text, p);
      // A failure is not kept: the run's next attempt (a sealed Vault, throttling) asks the backend again.
      p.catch(() => this.cache.delete(text));
    }
    return p;
  }
}
