import { hostname } from 'node:os';
import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { currentTrace } from './trace-context';

export interface LoggerOptions {
  service: string;
  level?: LevelWithSilent;
  /** where lines go; stdout by default (tests pass a stream to capture them) */
  destination?: DestinationStream;
  /** human-readable lines; defaults to LOG_PRETTY=1 */
  pretty?: boolean;
}

export type { Logger } from 'pino';

// DESIGN §6: every line says which service wrote it and, while a message or request is handled, its trace.
export function traceFields(): Record<string, string> {
  const trace = currentTrace();
  if (!trace) return {};
  const fields: Record<string, string> = { traceId: trace.traceId, spanId: trace.spanId };
  if (trace.tenantId) fields.tenantId = trace.tenantId;
  if (trace.projectId) fields.projectId = trace.projectId;
  if (trace.causationId) fields.causationId = trace.causationId;
  if (trace.correlationId) fields.correlationId = trace.correlationId;
  return fields;
}

export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? (process.env.LOG_LEVEL as LevelWithSilent | undefined) ?? 'info';
  const pretty = options.pretty ?? process.env.LOG_PRETTY === '1';
  const settings: pino.LoggerOptions = {
    level,
    base: { service: options.service, pid: process.pid, hostname: hostname() },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Level names, not numbers: readable in any log store without a mapping.
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceFields,
    serializers: { err: pino.stdSerializers.err },
  };
  const destination = options.destination ?? (pretty ? prettyStream() : undefined);
  return destination ? pino(settings, destination) : pino(settings);
}

// pino-pretty is a dev dependency: load it only when asked for, and fall back to JSON lines without it.
function prettyStream(): DestinationStream | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const build = require('pino-pretty') as typeof import('pino-pretty');
    return build({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  } catch {
    return undefined;
  }
}
