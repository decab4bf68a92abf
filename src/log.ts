// Structured JSON logs on standard error (standard output carries only a command's result).
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Paths pino blanks out wherever they appear, so secrets never reach a log line. */
const REDACT = [
  'password',
  'secret',
  'token',
  'apiToken',
  'authorization',
  '*.password',
  '*.secret',
  '*.token',
  '*.authorization',
  'headers.authorization',
];

/** The process logger, on standard error unless told otherwise; level from TAGPILOT_LOG_LEVEL (default info). */
export function createLogger(level = process.env.TAGPILOT_LOG_LEVEL ?? 'info', destination: DestinationStream = pino.destination(2)): Logger {
  return pino({ level, base: { service: 'tagpilot' }, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
}
