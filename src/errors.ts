// Typed errors, mapped to exit codes in one place (cli/main.ts). Messages never carry secret values:
// anything that could hold one goes through the redactor before it is printed.

export const ExitCode = {
  ok: 0,
  syncFailed: 1,
  config: 2,
  secret: 3,
  bwdcUnusable: 4,
  locked: 75,
  sigint: 130,
  sigterm: 143,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The failure classes of docs/design.md "Failure classes", used in logs, metrics and results. */
export const failureClasses = [
  'auth',
  'directory',
  'server',
  'network',
  'timeout',
  'config',
  'internal',
  'secret',
  'guard',
  'unverified',
] as const;
export type FailureClass = (typeof failureClasses)[number];

/** Classes worth another attempt: the same call may well work in a minute. */
export const transientClasses: ReadonlySet<FailureClass> = new Set(['network', 'server', 'timeout']);

// Most severe first: a command over many instances exits with the first code any of them has.
const severity: readonly ExitCodeValue[] = [
  ExitCode.bwdcUnusable,
  ExitCode.config,
  ExitCode.secret,
  ExitCode.syncFailed,
  ExitCode.locked,
  ExitCode.sigterm,
  ExitCode.sigint,
  ExitCode.ok,
];

export function mostSevereExitCode(codes: Iterable<ExitCodeValue>): ExitCodeValue {
  const seen = new Set(codes);
  return severity.find((c) => seen.has(c)) ?? ExitCode.ok;
}

/** Usage or configuration problem: exit 2. `issues` lists every problem found, not just the first. */
export class ConfigError extends Error {
  readonly exitCode = ExitCode.config;
  constructor(
    message: string,
    readonly issues: readonly string[] = [message],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A secret reference could not be resolved: exit 3. `ref` is the reference text, never a value. */
export class SecretError extends Error {
  readonly exitCode = ExitCode.secret;
  constructor(
    message: string,
    readonly options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message);
    this.name = 'SecretError';
  }
  get retryable(): boolean {
    return this.options.retryable ?? false;
  }
}

/** The bwdc executable is missing, not executable, or does not behave like bwdc: exit 4. */
export class BwdcUnusableError extends Error {
  readonly exitCode = ExitCode.bwdcUnusable;
  constructor(message: string) {
    super(message);
    this.name = 'BwdcUnusableError';
  }
}

/** Another run (this process or another) holds the instance's lock: exit 75 (EX_TEMPFAIL). */
export class LockedError extends Error {
  readonly exitCode = ExitCode.locked;
  constructor(message: string) {
    super(message);
    this.name = 'LockedError';
  }
}

/** The runner began stopping before this run reached bwdc: it is dropped, not counted as a run. */
export class RunNotStartedError extends Error {
  constructor() {
    super('not started: the runner is stopping');
    this.name = 'RunNotStartedError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
