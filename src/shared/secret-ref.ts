// Parses the secret reference syntax of docs/design.md "Secret references". A reference is not secret and may
// be printed; a literal value is, and is only ever described as "a literal value".

/**
 * Each scheme's syntax, in one entry: the parameters it takes and its check of the parsed parts (a problem, or
 * undefined). The order is the order error messages list them. A new scheme is an entry here and its provider
 * in secrets/index.ts (a Record over these names: the compiler asks for it); the schema takes the names from here.
 */
const schemeSyntax = {
  vault: {
    params: ['version'],
    check: (target, key, params) =>
      !/^[^/]+\/.+/.test(target)
        ? 'expected vault://MOUNT/PATH#KEY'
        : !key
          ? 'expected a #KEY naming the field of the Vault secret'
          : params.version !== undefined && !['1', '2'].includes(params.version)
            ? '?version= must be 1 or 2'
            : undefined,
  },
  awssm: {
    params: ['versionStage', 'versionId', 'region'],
    check: (target) => (target ? undefined : 'expected awssm://SECRET-ID-OR-ARN[#KEY]'),
  },
  bws: {
    params: [],
    check: (target) =>
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(target)
        ? undefined
        : "expected bws://SECRET-ID[#KEY], the secret's id (a UUID) in Bitwarden Secrets Manager",
  },
  file: {
    params: [],
    check: (target, key) =>
      !target.startsWith('/')
        ? 'expected an absolute path, file:///run/secrets/NAME'
        : key !== undefined
          ? 'a #KEY is not supported'
          : undefined,
  },
  env: {
    params: [],
    check: (target, key) =>
      !envNamePattern.test(target)
        ? 'expected env://VARIABLE_NAME'
        : key !== undefined
          ? 'a #KEY is not supported'
          : undefined,
  },
} satisfies Record<string, SchemeSyntax>;

interface SchemeSyntax {
  params: readonly string[];
  check(target: string, key: string | undefined, params: Readonly<Record<string, string>>): string | undefined;
}

export type SecretScheme = keyof typeof schemeSyntax;
export const secretSchemes = Object.keys(schemeSyntax) as SecretScheme[];
/** The schemes as messages list them: "vault://, awssm://, bws://, file://, env://". */
export const secretSchemeList = secretSchemes.map((s) => `${s}://`).join(', ');

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

/** Throws SecretRefSyntaxError with a message that never contains the input (it may be a secret). */
export function parseSecretRef(input: string): SecretRef {
  const m = schemePattern.exec(input);
  if (!m) return { kind: 'literal', value: input };
  const scheme = m[1]!.toLowerCase();
  if (!Object.hasOwn(schemeSyntax, scheme)) {
    throw new SecretRefSyntaxError(
      `unknown secret reference scheme; expected ${secretSchemeList} or a literal value without "://"`,
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
    const allowedParams: readonly string[] = schemeSyntax[s].params;
    if (!allowedParams.includes(k)) {
      const allowed = allowedParams.length ? allowedParams.map((p) => `?${p}=`).join(', ') : 'none';
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
  const problem = schemeSyntax[s].check(target, key, params);
  if (problem) throw new SecretRefSyntaxError(`${s}:// reference: ${problem}`);
  return { kind: 'ref', scheme: s, text: input, target, key, params };
}
