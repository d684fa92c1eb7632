// Typed errors, their failure classes, and the one mapping from a failure to an exit code (exitCodeOf):
// a step, a command and cli/main.ts all ask it, so the same failure exits the same code wherever it is
// raised. Messages never carry secret values: anything that could hold one goes through the redactor
// before it is printed.

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

/** Classes worth another attempt (transient): the same call may well work in a minute. */
export const transientClasses: ReadonlySet<FailureClass> = new Set(['network', 'server', 'timeout']);

/** The exit code of each failure class (docs/design.md "Commands and exit codes"); the compiler checks each has one. */
const exitCodeOfClass: Readonly<Record<FailureClass, ExitCodeValue>> = {
  auth: ExitCode.syncFailed,
  directory: ExitCode.syncFailed,
  server: ExitCode.syncFailed,
  network: ExitCode.syncFailed,
  timeout: ExitCode.syncFailed,
  config: ExitCode.config,
  internal: ExitCode.syncFailed,
  secret: ExitCode.secret,
  guard: ExitCode.syncFailed,
  unverified: ExitCode.syncFailed,
};

function isFailureClass(x: unknown): x is FailureClass {
  return typeof x === 'string' && Object.hasOwn(exitCodeOfClass, x);
}

/**
 * The class of an error: its own (`failureClass`, as RunFailure and BitwardenError carry), config for a
 * ConfigError or a file system that refuses writes (full, read-only, not ours), secret for a SecretError,
 * else internal.
 */
export function failureClassOf(err: unknown): FailureClass {
  if (err instanceof ConfigError) return 'config';
  if (err instanceof SecretError) return 'secret';
  const own = (err as { failureClass?: unknown } | undefined)?.failureClass;
  if (err instanceof Error && isFailureClass(own)) return own;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EROFS' || code === 'EACCES' ? 'config' : 'internal';
}

/**
 * The one mapping from a failure to the process's exit code: a failure class, or an error (by its class).
 * Two failures are no class of their own: an unusable bwdc (class internal) exits 4, a held lock 75.
 */
export function exitCodeOf(failure: FailureClass): ExitCodeValue;
export function exitCodeOf(failure: unknown): ExitCodeValue;
export function exitCodeOf(failure: unknown): ExitCodeValue {
  if (isFailureClass(failure)) return exitCodeOfClass[failure];
  if (failure instanceof BwdcUnusableError) return ExitCode.bwdcUnusable;
  if (failure instanceof LockedError) return ExitCode.locked;
  return exitCodeOfClass[failureClassOf(failure)];
}

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

/** Usage or configuration problem (class config). `issues` lists every problem found, not just the first. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: readonly string[] = [message],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * A secret reference could not be resolved (class secret); `transient` when another attempt may work.
 * The message names the reference, never a value; what failed underneath is the standard `cause`.
 */
export class SecretError extends Error {
  readonly transient: boolean;
  constructor(message: string, options: { transient?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SecretError';
    this.transient = options.transient ?? false;
  }
}

/** The bwdc executable is missing, not executable, or does not behave like bwdc: exit 4. */
export class BwdcUnusableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BwdcUnusableError';
  }
}

/** Another run (this process or another) holds the instance's lock: exit 75 (EX_TEMPFAIL). */
export class LockedError extends Error {
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
