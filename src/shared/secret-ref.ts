// Parses the secret reference syntax of docs/design.md "Secret references". A reference is not secret and may
// be printed; a literal value is, and is only ever described as "a literal value".

export const secretSchemes = ['vault', 'awssm', 'bws', 'file', 'env'] as const;
export type SecretScheme = (typeof secretSchemes)[number];

export type SecretRef =
  | { kind: 'literal'; value: string }
  | {
      kind: 'ref';
      scheme: SecretScheme;
      /** The reference exactly as written: safe to log, used as the cache key. */
      text: string;
      /** Everything between `scheme://` and `?`/`#`: a Vault path, an AWS secret id or ARN, a file path, a variable name. */
      target: string;
      /** The `#KEY` part, if any. */
      key: string | undefined;
      params: Readonly<Record<string, string>>;
    };

export class SecretRefSyntaxError extends Error {
  override name = 'SecretRefSyntaxError';
}

const schemePattern = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
const allowedParams: Record<SecretScheme, readonly string[]> = {
  vault: ['version'],
  awssm: ['versionStage', 'versionId', 'region'],
  bws: [],
  file: [],
  env: [],
};

/** Throws SecretRefSyntaxError with a message that never contains the input (it may be a secret). */
export function parseSecretRef(input: string): SecretRef {
  const m = schemePattern.exec(input);
  if (!m) return { kind: 'literal', value: input };
  const scheme = m[1]!.toLowerCase();
  if (!(secretSchemes as readonly string[]).includes(scheme)) {
    throw new SecretRefSyntaxError(
      `unknown secret reference scheme; expected vault://, awssm://, bws://, file://, env:// or a literal value without "://"`,
    );
  }
  const s = scheme as SecretScheme;
  let rest = input.slice(m[0].length);
  let key: string | undefined;
  let query = '';
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    key = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
    // Tolerate `#KEY?version=2` as well as the URL order `?version=2#KEY`.
    const q = key.indexOf('?');
    if (q >= 0) {
      query = key.slice(q + 1);
      key = key.slice(0, q);
    }
  }
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = query ? `${rest.slice(q + 1)}&${query}` : rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const params: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(query)) {
    if (!allowedParams[s].includes(k)) {
      const allowed = allowedParams[s].length ? allowedParams[s].map((p) => `?${p}=`).join(', ') : 'none';
      // Name the parameter only when it looks like one: the text could be anything, even a secret.
      const named = /^[A-Za-z]{1,20}$/.test(k) ? ` "${k}"` : '';
      throw new SecretRefSyntaxError(`${s}:// reference: unknown parameter${named}; allowed: ${allowed}`);
    }
    params[k] = v;
  }
  if (key === '') throw new SecretRefSyntaxError(`${s}:// reference: empty key after "#"`);
  let target: string;
  try {
    target = decodeURIComponent(rest);
  } catch {
    throw new SecretRefSyntaxError(`${s}:// reference: invalid %-encoding`);
  }
  switch (s) {
    case 'vault':
      if (!/^[^/]+\/.+/.test(target))
        throw new SecretRefSyntaxError('vault:// reference: expected vault://MOUNT/PATH#KEY');
      if (!key)
        throw new SecretRefSyntaxError('vault:// reference: expected a #KEY naming the field of the Vault secret');
      if (params.version !== undefined && !['1', '2'].includes(params.version)) {
        throw new SecretRefSyntaxError('vault:// reference: ?version= must be 1 or 2');
      }
      break;
    case 'awssm':
      if (!target) throw new SecretRefSyntaxError('awssm:// reference: expected awssm://SECRET-ID-OR-ARN[#KEY]');
      break;
    case 'bws':
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(target))
        throw new SecretRefSyntaxError(
          "bws:// reference: expected bws://SECRET-ID[#KEY], the secret's id (a UUID) in Bitwarden Secrets Manager",
        );
      break;
    case 'file':
      if (!target.startsWith('/'))
        throw new SecretRefSyntaxError('file:// reference: expected an absolute path, file:///run/secrets/NAME');
      if (key !== undefined) throw new SecretRefSyntaxError('file:// reference: a #KEY is not supported');
      break;
    case 'env':
      if (!envNamePattern.test(target))
        throw new SecretRefSyntaxError('env:// reference: expected env://VARIABLE_NAME');
      if (key !== undefined) throw new SecretRefSyntaxError('env:// reference: a #KEY is not supported');
      break;
  }
  return { kind: 'ref', scheme: s, text: input, target, key, params };
}
