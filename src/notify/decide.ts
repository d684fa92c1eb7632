// Which notices a finished run sends: per target, `after` consecutive failures before the first failure
// notice, then none until a success (which sends one recovery notice, if the target wants it); `always`
// targets hear of every run. Pure: the state it needs comes from the instance's last-run record.

export const notifyEvents = ['failure', 'recovery', 'always'] as const;
export const notifyFormats = ['json', 'slack', 'teams'] as const;
export type NotifyEvent = (typeof notifyEvents)[number];
export type NotifyFormat = (typeof notifyFormats)[number];

export interface NotifyTarget {
  /** The URL as configured: a literal http(s) URL or a secret reference. Never logged. */
  url: string;
  format: NotifyFormat;
  on: readonly NotifyEvent[];
  after: number;
  /** A stable, secret-free name for logs, metrics and the state file: `<format>-<index>`. */
  label: string;
}

/** A webhook or check URL given as is; anything else where a URL goes is a secret reference. */
export function isLiteralUrl(text: string): boolean {
  return /^https?:\/\//i.test(text);
}

/** What a notice says happened (`test`: `check --notify-test`). */
export type Notice = 'failure' | 'recovery' | 'success' | 'test' | 'quarantine';

export interface Decision {
  sends: Array<{ target: NotifyTarget; notice: Notice }>;
  /** Targets that have sent a failure notice since the last success (after this run, if delivered). */
  notifiedAfter: (delivered: ReadonlySet<string>) => string[];
}

/**
 * `outcome`: the run's (only success and failure notify). `consecutiveFailures`: counting this run.
 * `notified`: labels of the targets that sent a failure notice since the last success.
 */
export function decide(
  targets: readonly NotifyTarget[],
  outcome: 'success' | 'failure',
  consecutiveFailures: number,
  notified: readonly string[],
): Decision {
  const sends: Decision['sends'] = [];
  const already = new Set(notified);
  for (const t of targets) {
    if (outcome === 'failure') {
      if (t.on.includes('always')) sends.push({ target: t, notice: 'failure' });
      else if (t.on.includes('failure') && consecutiveFailures >= t.after && !already.has(t.label))
        sends.push({ target: t, notice: 'failure' });
    } else if (t.on.includes('recovery') && already.has(t.label)) sends.push({ target: t, notice: 'recovery' });
    else if (t.on.includes('always')) sends.push({ target: t, notice: 'success' });
  }
  return {
    sends,
    notifiedAfter: (delivered) => {
      if (outcome === 'success') return [];
      const failureSent = sends.filter((s) => s.notice === 'failure' && delivered.has(s.target.label));
      return [...new Set([...notified, ...failureSent.map((s) => s.target.label)])];
    },
  };
}

/**
 * The run that quarantined its instance: one quarantine notice to every target that hears of failures
 * (whatever its `after`), instead of the failure notice; it counts as the failure notice sent.
 */
export function quarantineNotices(targets: readonly NotifyTarget[], notified: readonly string[]): Decision {
  const sends = targets
    .filter((t) => t.on.includes('failure') || t.on.includes('always'))
    .map((target) => ({ target, notice: 'quarantine' as const }));
  return {
    sends,
    notifiedAfter: (delivered) => [
      ...new Set([...notified, ...sends.map((s) => s.target.label).filter((l) => delivered.has(l))]),
    ],
  };
}
