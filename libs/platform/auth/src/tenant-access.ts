import { NotFoundException } from '@nestjs/common';
import type { Principal } from './principal';

// DESIGN §6: another tenant's (or another project's) resource answers 404, not 403, so existence never leaks.
export function canAccessTenant(principal: Principal, tenantId: string): boolean {
  return principal.tenantId === tenantId;
}

export function canAccessProject(principal: Principal, tenantId: string, projectId: string): boolean {
  return canAccessTenant(principal, tenantId) && (principal.projects === undefined || principal.projects.includes(projectId));
}

export function assertTenant(principal: Principal, tenantId: string, what = 'resource'): void {
  if (!canAccessTenant(principal, tenantId)) throw new NotFoundException(`${what} not found`);
}

export function assertProject(principal: Principal, tenantId: string, projectId: string, what = 'resource'): void {
  if (!canAccessProject(principal, tenantId, projectId)) throw new NotFoundException(`${what} not found`);
}

/** For a row loaded by id: null, or a row of another tenant/project, both become the same 404. */
export function ownedOrNotFound<R extends { tenantId: string; projectId?: string }>(
  principal: Principal,
  row: R | null | undefined,
  what = 'resource',
): R {
  const visible =
    row != null &&
    (row.projectId === undefined ? canAccessTenant(principal, row.tenantId) : canAccessProject(principal, row.tenantId, row.projectId));
  if (!visible) throw new NotFoundException(`${what} not found`);
  return row;
}
