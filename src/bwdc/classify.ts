// Maps what bwdc said (bwdc-contract.md's table) to a failure class. The order matters: a
// Bitwarden request that failed is "network" even though it mentions ECONNREFUSED, which on its
// own (no "request to <url>") is the directory server refusing us.
import type { FailureClass } from '../errors.js';

export interface ClassifyInput {
  message: string;
  stderr: string;
  timedOut: boolean;
  signal: NodeJS.Signals | null;
}

const rules: ReadonlyArray<[FailureClass, RegExp]> = [
  ['auth', /TypeError: Cannot read properties of null \(reading 'message'\)/], // the 401/403 crash
  ['auth', /invalid_client|invalid_grant|unauthorized_client|"statusCode":\s*40[13]\b/],
  ['auth', /You are not logged in\.|Client ID is required\.|Organization not set\.|You are already logged in/],
  ['server', /"statusCode":\s*(5\d\d|429)\b|\b(502 Bad Gateway|503 Service Unavailable|504 Gateway|500 Internal Server Error)\b/],
  ['network', /request to \S+ failed, reason:/],
  ['config', /Unknown setting\.|Invalid directory type value\.|ELOCKED|Cannot autolaunch D-Bus|is not a valid URL/],
  ['directory', /Code: 0x[0-9a-f]+|\bconnect (ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)\b|getaddrinfo (ENOTFOUND|EAI_AGAIN)|\bLDAP|invalid_tenant|AADSTS\d+|Okta|OneLogin|Google/i],
];

export function classifyFailure(input: ClassifyInput): FailureClass {
  if (input.timedOut) return 'timeout';
  const text = `${input.message}\n${input.stderr}`;
  for (const [cls, re] of rules) if (re.test(text)) return cls;
  return 'internal';
}
