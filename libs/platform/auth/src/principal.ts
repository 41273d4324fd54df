import type { Actor } from '@delivery/contracts';

export type ActorKind = Actor['kind'];

// Who is calling, from the verified token. The actor is what commands carry in their envelope.
export interface Principal {
  subject: string;
  tenantId: string;
  /** projects the token is limited to; undefined: every project of the tenant */
  projects?: readonly string[];
  scopes: readonly string[];
  actor: Actor;
}

export function hasScope(principal: Principal, scope: string): boolean {
  return principal.scopes.includes(scope);
}
