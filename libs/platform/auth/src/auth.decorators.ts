import { createParamDecorator, SetMetadata, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { PUBLIC_ROUTE } from '@delivery/observability';
import type { Principal } from './principal';

export const REQUIRED_SCOPES = 'delivery:required-scopes';
export const TENANT_PARAM = 'delivery:tenant-param';

// The same key observability's health and metrics controllers carry: one notion of "public".
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

/** Every listed scope is required; on a class and a method, both lists apply. */
export const RequireScopes = (...scopes: string[]): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_SCOPES, scopes);

/** The route parameter holding a tenant id: a request for another tenant answers 404. */
export const TenantParam = (param = 'tenantId'): MethodDecorator & ClassDecorator => SetMetadata(TENANT_PARAM, param);

export interface AuthenticatedRequest {
  principal?: Principal;
}

export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  // Only a @Public() route reaches a handler without one: reading it there is a wiring mistake.
  if (!principal) throw new UnauthorizedException('authentication required');
  return principal;
});
