import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * JSON logger whose every line carries the node id. Redaction is a safety net:
 * handlers must not log tokens or message bodies in the first place.
 */
export function createLogger(opts: { level: string; nodeId: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: opts.level,
      base: { node: opts.nodeId },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'token',
          'auth',
          'password',
          'text',
          '*.token',
          '*.auth',
          '*.password',
          '*.text',
          'headers.authorization',
          'headers.cookie',
        ],
        censor: '[redacted]',
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination ?? pino.destination({ sync: false }),
  );
}
