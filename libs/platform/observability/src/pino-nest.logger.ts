import type { LoggerService, LogLevel } from '@nestjs/common';
import type { Logger } from 'pino';

type PinoLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

const NEST_TO_PINO: Record<LogLevel, PinoLevel> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

const STACK = /\n\s+at /;

// Routes Nest's own logs (bootstrap, routes, exceptions) through pino so they carry service and trace too.
// Nest calls log(message, context) and error(message, stack?, context?).
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  setLogLevels(levels: LogLevel[]): void {
    // pino has one threshold: the most verbose level Nest asks for.
    const order: PinoLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
    const wanted = levels.map((l) => NEST_TO_PINO[l]);
    const lowest = order.find((l) => wanted.includes(l));
    this.logger.level = lowest ?? 'silent';
  }

  private write(level: PinoLevel, message: unknown, params: unknown[]): void {
    const rest = [...params];
    const fields: Record<string, unknown> = {};
    const extra: unknown[] = [];
    // The trailing string is the context (the class that logged), as in Nest's ConsoleLogger.
    if (rest.length > 0 && typeof rest[rest.length - 1] === 'string' && !STACK.test(rest[rest.length - 1] as string)) {
      fields.context = rest.pop();
    }
    for (const param of rest) {
      if (typeof param === 'string' && STACK.test(param)) fields.stack = param;
      else if (param instanceof Error) fields.err = param;
      else if (param !== undefined) extra.push(param);
    }
    if (extra.length > 0) fields.params = extra;
    if (message instanceof Error) {
      this.logger[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ ...fields, ...(message as Record<string, unknown>) });
    } else {
      this.logger[level](fields, String(message));
    }
  }
}
