import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { errorCodeOf, errorMessageOf, httpStatusOf, PlatformError } from '@delivery/messaging';
import { currentTrace } from '@delivery/observability';

// One mapping from errors to outcomes (DESIGN §6): over HTTP, a status and a readable body; on the bus, the
// original error goes back to the transport, whose Settlement turns it into ack / nak / dead letter.
@Catch()
export class PlatformExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger?: Pick<Logger, 'error'>) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    if (host.getType() === 'rpc') return throwError(() => exception);
    const response = host.switchToHttp().getResponse<Response>();
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      const message = typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? exception.message);
      response.status(exception.getStatus()).json({
        statusCode: exception.getStatus(),
        code: typeof body === 'object' && body && 'code' in body ? (body as { code: unknown }).code : httpCode(exception.getStatus()),
        message: Array.isArray(message) ? message.join('; ') : message,
        traceId: currentTrace()?.traceId,
      });
      return;
    }
    const status = httpStatusOf(exception);
    if (status >= 500) this.logger?.error({ err: exception }, 'request failed');
    response.status(status).json({
      statusCode: status,
      code: errorCodeOf(exception),
      message: status >= 500 && !(exception instanceof PlatformError) ? 'internal error' : errorMessageOf(exception),
      ...(exception instanceof PlatformError && exception.details ? { details: exception.details } : {}),
      traceId: currentTrace()?.traceId,
    });
  }
}

function httpCode(status: number): string {
  return ({ 400: 'bad-request', 401: 'unauthorized', 403: 'forbidden', 404: 'not-found', 409: 'conflict', 413: 'payload-too-large' } as Record<number, string>)[status] ?? 'error';
}
