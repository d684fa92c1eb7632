// How one of the runner's own requests to Bitwarden (the identity token, the Public API) failed, in the
// run's failure classes: the key or token refused (auth: never retried), the server's trouble (5xx,
// 429), no answer (network), or an address that is not a Bitwarden endpoint (config: a wrong server
// URL). Messages name the URL and the status, never a token or a secret.
export type BitwardenFailure = 'auth' | 'server' | 'network' | 'config';

export class BitwardenError extends Error {
  constructor(
    message: string,
    readonly failureClass: BitwardenFailure,
  ) {
    super(message);
    this.name = 'BitwardenError';
  }
}

/** The class of an HTTP status the caller cannot use: 5xx and 429 are the server's, the rest a refusal. */
export function failureOfStatus(status: number): BitwardenFailure {
  return status >= 500 || status === 429 ? 'server' : 'auth';
}
