// Maps what bwdc said (the table in docs/upstream/bwdc.md "Output and exit codes") to a failure class, by the
// error itself. The order matters: a TLS certificate error is a setting to fix (config), whoever it came
// from; a passing network error (DNS try-again, a timeout, a reset connection) is `network` and retried,
// whether the Bitwarden API or the directory server was being reached; a refused LDAP connection or a bind
// error is the directory's (not retried), while "request to <url> failed" names the Bitwarden side.
import type { FailureClass } from '../errors.js';

export interface ClassifyInput {
  message: string;
  stderr: string;
  timedOut: boolean;
  signal: NodeJS.Signals | null;
}

/** Node's and OpenSSL's words for a certificate that is not trusted or does not fit the host. */
const tlsUntrusted = new RegExp(
  [
    'self[- ]signed certificate',
    'unable to verify the first certificate',
    'unable to get local issuer certificate',
    'unable to get issuer certificate',
    'certificate has expired',
    'certificate is not yet valid',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'CERT_HAS_EXPIRED',
  ].join('|'),
  'i',
);
const tlsWrongHost = /Hostname\/IP does not match certificate's altnames|ERR_TLS_CERT_ALTNAME_INVALID/;

const rules: ReadonlyArray<[FailureClass, RegExp]> = [
  ['auth', /TypeError: Cannot read properties of null \(reading 'message'\)/], // the 401/403 crash
  ['auth', /invalid_client|invalid_grant|unauthorized_client|"statusCode":\s*40[13]\b/],
  ['auth', /You are not logged in\.|Client ID is required\.|Organization not set\.|You are already logged in/],
  ['config', tlsUntrusted],
  ['config', tlsWrongHost],
  [
    'server',
    /"statusCode":\s*(5\d\d|429)\b|\b(502 Bad Gateway|503 Service Unavailable|504 Gateway|500 Internal Server Error)\b/,
  ],
  [
    'network',
    /getaddrinfo EAI_AGAIN|\bETIMEDOUT\b|\bECONNRESET\b|\bEPIPE\b|socket hang up|\bENETUNREACH\b|\bEHOSTUNREACH\b|\bEAI_AGAIN\b/,
  ],
  ['network', /request to \S+ failed, reason:/],
  [
    'config',
    /Unknown setting\.|Invalid directory type value\.|dirConfigIncomplete|ELOCKED|Cannot autolaunch D-Bus|is not a valid URL/,
  ],
  [
    'directory',
    /Code: 0x[0-9a-f]+|\bconnect ECONNREFUSED\b|getaddrinfo ENOTFOUND|\bLDAP|invalid_tenant|AADSTS\d+|Okta|OneLogin|Google/i,
  ],
];

export function classifyFailure(input: ClassifyInput): FailureClass {
  if (input.timedOut) return 'timeout';
  const text = `${input.message}\n${input.stderr}`;
  for (const [cls, re] of rules) if (re.test(text)) return cls;
  return 'internal';
}

/** What to change, for the failures a setting fixes: said after bwdc's own message. */
export function failureHint(input: Pick<ClassifyInput, 'message' | 'stderr'>): string | undefined {
  const text = `${input.message}\n${input.stderr}`;
  if (tlsUntrusted.test(text)) {
    return (
      "TLS: the server's certificate is not trusted; give bwdc the CA that signed it " +
      "(NODE_EXTRA_CA_CERTS, the chart's caBundle), for the Bitwarden server and for LDAPS alike"
    );
  }
  if (tlsWrongHost.test(text))
    return 'TLS: the certificate does not name the host connected to; use the host name it was issued for';
  return undefined;
}
