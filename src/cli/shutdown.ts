// SIGTERM/SIGINT for the one-shot commands: stop starting instances at once; let running ones
// finish within the grace period, then stop their bwdc (process group); a second signal stops
// them at once. The exit code says which signal it was (128 + n).
import type { Logger } from '../observability/logger.js';

export interface Shutdown {
  /** Aborted on the first signal: no new instance starts. */
  draining: AbortSignal;
  /** Aborted after the grace period or on a second signal: running bwdc calls are stopped. */
  hard: AbortSignal;
  /** 130 or 143 once a signal arrived. */
  exitCode(): number | undefined;
  dispose(): void;
}

export function installShutdown(log: Logger, graceMs: number): Shutdown {
  const draining = new AbortController();
  const hard = new AbortController();
  let code: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const on = (signal: NodeJS.Signals) => {
    if (draining.signal.aborted) {
      log.warn({ signal }, 'second signal: stopping running syncs now');
      hard.abort();
      return;
    }
    code = signal === 'SIGINT' ? 130 : 143;
    log.warn({ signal, graceMs }, 'signal received: no new runs; running syncs may finish within the grace period');
    draining.abort();
    timer = setTimeout(() => {
      log.warn('grace period over: stopping running syncs');
      hard.abort();
    }, graceMs);
    timer.unref();
  };
  process.on('SIGTERM', on);
  process.on('SIGINT', on);
  return {
    draining: draining.signal,
    hard: hard.signal,
    exitCode: () => code,
    dispose() {
      if (timer) clearTimeout(timer);
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
    },
  };
}
