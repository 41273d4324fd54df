import { SignJWT } from 'jose';
import type { ActorKind } from './principal';

export interface TestTokenClaims {
  sub: string;
  tenant?: string;
  scopes?: string[];
  actorKind?: ActorKind;
  projects?: string[];
  /** seconds from now; negative for an already expired token (default 3600) */
  expiresInSeconds?: number;
  issuer?: string;
  audience?: string;
}

// For REST tests and local tooling: an HS256 token the local (JWT_SECRET) configuration accepts.
export async function signTestToken(claims: TestTokenClaims, secret: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {};
  if (claims.tenant !== undefined) payload.tenant = claims.tenant;
  if (claims.scopes?.length) payload.scope = claims.scopes.join(' ');
  if (claims.actorKind) payload.actor_kind = claims.actorKind;
  if (claims.projects) payload.projects = claims.projects;
  let jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + (claims.expiresInSeconds ?? 3600));
  if (claims.issuer) jwt = jwt.setIssuer(claims.issuer);
  if (claims.audience) jwt = jwt.setAudience(claims.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
