import type { EntityManager } from 'typeorm';
import type { DesiredApplication, HealthStatus } from '@delivery/gitops-runtime';
import { initialSyncState, type SyncState } from '../domain/gitops-sync.decider';
import { initialRejectedRevisions, type RejectedRevisions } from '../domain/rejected-revisions.policy';
import type { SyncStatus } from '../domain/drift.detector';

export interface AppKey {
  tenantId: string;
  projectId: string;
  repositoryId: string;
  environment: string;
  application: string;
}
export interface WorkloadView {
  name: string;
  health: HealthStatus;
  replicas: number;
  readyReplicas: number;
  restarts: number;
  message?: string;
}
export interface EventView {
  type: string;
  revision: string | null;
  at: string;
  summary: string;
}
/** what GET /environments/:env/applications shows */
export interface ApplicationView {
  sync: SyncStatus;
  health: HealthStatus;
  revision: string | null;
  releaseId: string | null;
  workloads: WorkloadView[];
  lastEvents: EventView[];
}
export interface ApplicationRecord {
  sync: SyncState;
  rejected: RejectedRevisions;
  /** the desired state last applied successfully: the spec of a slot the next workload.json only names */
  applied: DesiredApplication | null;
  view: ApplicationView;
}

const MAX_EVENTS = 10;

export function initialRecord(environment: string, application: string): ApplicationRecord {
  return {
    sync: initialSyncState(environment, application),
    rejected: initialRejectedRevisions(environment, application),
    applied: null,
    view: { sync: 'Unknown', health: 'Unknown', revision: null, releaseId: null, workloads: [], lastEvents: [] },
  };
}

export function withEvents(view: ApplicationView, events: EventView[]): ApplicationView {
  return { ...view, lastEvents: [...events.reverse(), ...view.lastEvents].slice(0, MAX_EVENTS) };
}

/** The application's record, locked for this transaction (created on first sight). */
export async function lockRecord(manager: EntityManager, key: AppKey): Promise<ApplicationRecord> {
  const params = [key.tenantId, key.projectId, key.repositoryId, key.environment, key.application];
  await manager.query(
    `INSERT INTO gitops_applications (tenant_id, project_id, repository_id, environment, application, state) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT DO NOTHING`,
    [...params, JSON.stringify(initialRecord(key.environment, key.application))],
  );
  const rows: Array<{ state: ApplicationRecord }> = await manager.query(
    `SELECT state FROM gitops_applications WHERE tenant_id = $1 AND project_id = $2 AND repository_id = $3 AND environment = $4 AND application = $5 FOR UPDATE`,
    params,
  );
  const state = rows[0]?.state;
  if (!state) throw new Error(`gitops_applications row of ${key.environment}/${key.application} vanished`);
  return state;
}

export async function saveRecord(manager: EntityManager, key: AppKey, record: ApplicationRecord): Promise<void> {
  await manager.query(
    `UPDATE gitops_applications SET state = $6, updated_at = now()
     WHERE tenant_id = $1 AND project_id = $2 AND repository_id = $3 AND environment = $4 AND application = $5`,
    [key.tenantId, key.projectId, key.repositoryId, key.environment, key.application, JSON.stringify(record)],
  );
}

export interface ApplicationRow extends AppKey {
  state: ApplicationRecord;
  updatedAt: Date;
}

/** The applications of an environment the caller's tenant (and projects, when limited) can see. */
export async function applicationsIn(manager: EntityManager, scope: { tenantId: string; projects?: readonly string[] }, environment: string): Promise<ApplicationRow[]> {
  const rows: Array<{ tenant_id: string; project_id: string; repository_id: string; environment: string; application: string; state: ApplicationRecord; updated_at: Date }> = await manager.query(
    `SELECT tenant_id, project_id, repository_id, environment, application, state, updated_at FROM gitops_applications
     WHERE tenant_id = $1 AND environment = $2 AND ($3::text[] IS NULL OR project_id = ANY($3)) ORDER BY application, repository_id`,
    [scope.tenantId, environment, scope.projects === undefined ? null : [...scope.projects]],
  );
  return rows.map((r) => ({ tenantId: r.tenant_id, projectId: r.project_id, repositoryId: r.repository_id, environment: r.environment, application: r.application, state: r.state, updatedAt: r.updated_at }));
}

/** The revision an application was last evaluated at (what a wake re-evaluates); null when never. */
export async function evaluatedRevision(manager: EntityManager, key: AppKey): Promise<string | null> {
  const rows: Array<{ revision: string | null }> = await manager.query(
    `SELECT state->'sync'->>'revision' AS revision FROM gitops_applications
     WHERE tenant_id = $1 AND project_id = $2 AND repository_id = $3 AND environment = $4 AND application = $5`,
    [key.tenantId, key.projectId, key.repositoryId, key.environment, key.application],
  );
  return rows[0]?.revision ?? null;
}

/** Every application whose last applied desired state runs workloads (the health reporter's list), with that state. */
export async function syncedApplications(manager: EntityManager): Promise<Array<{ key: AppKey; applied: DesiredApplication }>> {
  const rows: Array<{ tenant_id: string; project_id: string; repository_id: string; environment: string; application: string; applied: DesiredApplication }> = await manager.query(
    `SELECT tenant_id, project_id, repository_id, environment, application, state->'applied' AS applied FROM gitops_applications
     WHERE jsonb_typeof(state->'applied') = 'object' AND jsonb_array_length(state->'applied'->'workloads') > 0 ORDER BY environment, application`,
  );
  return rows.map((r) => ({ key: { tenantId: r.tenant_id, projectId: r.project_id, repositoryId: r.repository_id, environment: r.environment, application: r.application }, applied: r.applied }));
}

/** The applications of a repository (within a filter) whose last applied desired state runs workloads. */
export async function runningApplications(manager: EntityManager, repository: Pick<AppKey, 'tenantId' | 'projectId' | 'repositoryId'>, filter: { environment?: string; application?: string }): Promise<Array<{ environment: string; application: string }>> {
  return manager.query(
    `SELECT environment, application FROM gitops_applications
     WHERE tenant_id = $1 AND project_id = $2 AND repository_id = $3 AND ($4::text IS NULL OR environment = $4) AND ($5::text IS NULL OR application = $5)
       AND jsonb_typeof(state->'applied') = 'object' AND jsonb_array_length(state->'applied'->'workloads') > 0
     ORDER BY environment, application`,
    [repository.tenantId, repository.projectId, repository.repositoryId, filter.environment ?? null, filter.application ?? null],
  );
}

/** The rejected revisions of applications (no lock: a manual sync's check before it applies anything). */
export async function rejectedRevisionsOf(manager: EntityManager, keys: readonly AppKey[]): Promise<Map<string, RejectedRevisions>> {
  if (keys.length === 0) return new Map();
  const first = keys[0] as AppKey;
  const rows: Array<{ environment: string; application: string; rejected: RejectedRevisions | null }> = await manager.query(
    `SELECT environment, application, state->'rejected' AS rejected FROM gitops_applications
     WHERE tenant_id = $1 AND project_id = $2 AND repository_id = $3 AND (environment, application) IN (SELECT * FROM unnest($4::text[], $5::text[]))`,
    [first.tenantId, first.projectId, first.repositoryId, keys.map((k) => k.environment), keys.map((k) => k.application)],
  );
  return new Map(rows.flatMap((r) => (r.rejected ? [[`${r.environment}/${r.application}`, r.rejected] as const] : [])));
}
