import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { currentTrace, newSpanId, newTraceId, runWithTrace } from '@delivery/observability';
import type { AuthenticatedRequest } from './auth.decorators';

// A guard cannot wrap the rest of the request, an interceptor can: the handler (its logs, the commands it
// publishes) runs with the caller's tenant and actor in the trace context.
@Injectable()
export class PrincipalTraceInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    if (!principal) return next.handle();
    const trace = currentTrace() ?? { traceId: newTraceId(), spanId: newSpanId() };
    // Nest binds the handler to the async context in which handle() is called.
    return runWithTrace({ ...trace, tenantId: principal.tenantId, actor: principal.actor }, () => next.handle());
  }
}
