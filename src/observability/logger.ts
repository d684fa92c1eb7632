import { pino, type Logger, type DestinationStream, stdTimeFunctions } from 'pino';
import { redactor } from './redact.js';

import type { LogFormat } from '../shared/log-settings.js';
import { recordLine } from './run-tail.js';

export type { Logger } from 'pino';
export { logLevels, type LogFormat } from '../shared/log-settings.js';

export interface LoggerOptions {
  level?: string;
  format?: LogFormat;
  /** A stream, or a file descriptor (1: stdout, the default; 2: stderr, for commands that print a report). */
  destination?: DestinationStream | 1 | 2;
}

export async function createLogger(options: LoggerOptions = {}): Promise<Logger> {
  const level = options.level ?? 'info';
  let destination = typeof options.destination === 'number' ? undefined : options.destination;
  const fd = typeof options.destination === 'number' ? options.destination : 1;
  if (!destination && options.format === 'pretty') {
    // Loaded only when asked for: pino-pretty costs start-up time that JSON output does not need.
    const { default: pretty } = await import('pino-pretty');
    destination = pretty({ sync: true, destination: fd, translateTime: 'SYS:standard', ignore: 'pid,hostname' });
  }
  destination ??= pino.destination({ dest: fd, sync: true });
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // The last line of defence: whatever a caller put in a line, known secret values are masked.
      hooks: {
        streamWrite: (line) => {
          const clean = redactor.scrub(line);
          recordLine(clean);
          return clean;
        },
      },
    },
    destination,
  );
}
