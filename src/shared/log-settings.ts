// The log settings the configuration accepts and the logger understands: pino's levels and our two
// output formats. Here so that neither config nor observability imports the other.
export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogFormat = 'json' | 'pretty';
