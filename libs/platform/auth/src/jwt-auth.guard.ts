import {
  ForbiddenException,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { PUBLIC_ROUTE } from '@delivery/observability';
import { REQUIRED_SCOPES, TENANT_PARAM, type AuthenticatedRequest } from './auth.decorators';
import { JwtVerifier, TokenRejectedError } from './jwt.verifier';

interface HttpRequest extends AuthenticatedRequest {
  headers: IncomingHttpHeaders;
  params?: Record<string, string | undefined>;
}

// Global guard for REST: every route needs a valid bearer token unless marked @Public().
// Bus handlers (rpc context) are authorized by NATS subject permissions, not here.
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: JwtVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;

    const http = context.switchToHttp();
    const request = http.getRequest<HttpRequest>();
    const response = http.getResponse<ServerResponse>();
    try {
      request.principal = await this.verifier.verify(bearerToken(request.headers.authorization));
    } catch (error) {
      if (!(error instanceof TokenRejectedError)) throw error;
      if (error.reason === 'keys-unavailable') throw new ServiceUnavailableException(error.message);
      // RFC 6750 §3: tell the client what kind of failure it is.
      const challenge = error.reason === 'missing' ? 'Bearer' : `Bearer error="invalid_token", error_description="${error.message}"`;
      response.setHeader?.('WWW-Authenticate', challenge);
      throw new UnauthorizedException(error.message);
    }
    const principal = request.principal;

    const tenantParam = this.reflector.getAllAndOverride<string | undefined>(TENANT_PARAM, targets);
    if (tenantParam !== undefined && request.params?.[tenantParam] !== principal.tenantId) {
      throw new NotFoundException('tenant not found');
    }

    const required = this.reflector.getAllAndMerge<string[]>(REQUIRED_SCOPES, targets) ?? [];
    const missing = [...new Set(required)].filter((scope) => !principal.scopes.includes(scope));
    if (missing.length > 0) {
      response.setHeader?.('WWW-Authenticate', `Bearer error="insufficient_scope", scope="${missing.join(' ')}"`);
      throw new ForbiddenException(`missing scope ${missing.map((s) => `"${s}"`).join(', ')}`);
    }
    return true;
  }
}

function bearerToken(header: string | undefined): string {
  if (!header) throw new TokenRejectedError('missing', 'missing bearer token (Authorization: Bearer <jwt>)');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw new TokenRejectedError('malformed', 'Authorization header is not "Bearer <jwt>"');
  return match[1];
}
