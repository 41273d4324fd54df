import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { PostgresEventStore, type EventStore } from '@delivery/eventstore';
import { platformErrorOf, type GitProvider, type RepositoryLocator } from '@delivery/git-provider';
import type { HealthStatus, RuntimeAdapter } from '@delivery/gitops-runtime';
import { NotFoundError } from '@delivery/messaging';
import { GIT_PROVIDER, locatorOf, type RepositoryRecord } from '@delivery/repository-directory';
import { appendAll, EVENT_STORE } from '@delivery/service-kit';
import { aggregateHealth } from '../domain/health.aggregate';
import { assertManualSync } from '../domain/rejected-revisions.policy';
import { RUNTIME_ADAPTER } from '../runtime.provider';
import { SYNC_SETTINGS, type SyncSettings } from '../triggers/sync.settings';
import { ApplicationReconciler, type Reconciled, type ReconcileInput, type Trigger } from './application.reconciler';
import { evaluatedRevision, rejectedRevisionsOf, runningApplications, type AppKey } from './applications.store';
import { applicationsOf, ENVIRONMENTS_DIR, revertedBy, syncPolicyPath, workloadPath, type AppRef } from './gitops.layout';
import { limiter, type Limiter } from './limiter';
import { RevisionReader } from './revision.reader';

export interface SyncRequest {
  trigger: Trigger;
  /** default: the head of the repository's default branch */
  revision?: string;
  environment?: string;
  application?: string;
  prune?: boolean;
  /** what the triggering commit says about itself (CommitCreated), when the trigger is a commit */
  commit?: { sha: string; message?: string; trailers?: Record<string, string>; revertOf?: string };
}
export interface SyncOutcome {
  revision: string;
  applications: AppRef[];
  /** what the caller appends in its transaction: empty when each application was reconciled in its own */
  appends: Reconciled[];
}

/** one application's part of a sync: its workload.json is read when it is reconciled */
interface SyncItem {
  locator: RepositoryLocator;
  path: string;
  /** Git no longer names the application (no workload.json), but it was applied and runs workloads */
  removed: boolean;
  /** its sync.json, when the revision has one */
  policyPath?: string;
  input: Omit<ReconcileInput, 'workloadJson'>;
}

const TRACE_ID = /^[0-9a-f]{32}$/;
/** how long this process watches a rollout it applied, in settle periods (then the durable settle wakes go on) */
const WATCH_SETTLE_PERIODS = 5;

// A trigger on a GitOps repository: every environments/*/*/workload.json at the revision (or the ones asked
// for) is reconciled. A revision that reverts another rejects the reverted one for the applications it touched,
// and syncs the reverted-to content at once (it is this revision's content).
//
// One application (a wake, a manual sync of one) is reconciled in the caller's transaction. More (a commit, a merge,
// the interval, a manual sync of an environment) are reconciled each in its own transaction, `syncConcurrency` at
// once: each application's state row, wake timer and events commit together as soon as it is applied, so its
// GitOpsSynced goes out then. The caller's transaction (the trigger's inbox claim, or its timer) commits after all
// of them; if one throws, the caller's rolls back and the trigger comes again: the applications already committed
// are evaluated again at the same revision, which reports and applies nothing new (the decider reports changes).
@Injectable()
export class RepositorySync implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RepositorySync');
  private readonly limit: Limiter;
  private readonly git: RevisionReader;
  private readonly watches = new Set<Promise<void>>();
  private stopped = false;
  // The applications' own transactions run on a pool of their own, as large as the limit: they are opened while the
  // trigger's transaction holds a connection of the service's pool, and enough triggers at once (the bus handles up
  // to CONSUMER_CONCURRENCY messages per consumer, plus the timers) would hold all of that pool and wait for ever.
  private readonly own: { dataSource: DataSource; store: EventStore };

  constructor(
    @Inject(GIT_PROVIDER) git: GitProvider,
    private readonly reconciler: ApplicationReconciler,
    dataSource: DataSource,
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(RUNTIME_ADAPTER) private readonly runtime: RuntimeAdapter,
    @Inject(SYNC_SETTINGS) private readonly settings: SyncSettings,
  ) {
    this.limit = limiter(settings.syncConcurrency);
    this.git = new RevisionReader(git);
    const options = dataSource.options as PostgresConnectionOptions;
    const own = new DataSource({ ...options, poolSize: settings.syncConcurrency, applicationName: `${options.applicationName ?? 'gitops-sync'}-applications` });
    // the Postgres store appends in the caller's transaction, so it must be bound to the pool the transaction is from
    this.own = { dataSource: own, store: store instanceof PostgresEventStore ? new PostgresEventStore(own, options.schema ?? 'public') : store };
  }

  async onModuleInit(): Promise<void> {
    await this.own.dataSource.initialize();
  }

  async sync(manager: EntityManager, repository: RepositoryRecord, request: SyncRequest): Promise<SyncOutcome> {
    const { revision, applications, items } = await this.plan(manager, repository, request).catch((error: unknown) => {
      throw platformErrorOf(error);
    });
    if (request.application !== undefined) {
      const appends: Reconciled[] = [];
      for (const item of items) {
        const reconciled = await this.reconcile(manager, item);
        if (reconciled) appends.push(reconciled);
      }
      return { revision, applications, appends };
    }
    // a manual sync of a rejected revision is refused before anything is applied (409), as when it was one transaction
    if (request.trigger === 'manual') await this.assertManualSyncs(manager, revision, items);
    const results = await Promise.allSettled(items.map((item) => this.limit(() => this.reconcileAlone(repository, item))));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return { revision, applications, appends: [] };
  }

  /** A wake: the application again at the revision it was last evaluated at (a new commit is not a wake's to find). */
  async wake(manager: EntityManager, repository: RepositoryRecord, key: AppKey): Promise<Reconciled[]> {
    const revision = await evaluatedRevision(manager, key);
    const request = { trigger: 'wake' as const, environment: key.environment, application: key.application, ...(revision !== null ? { revision } : {}) };
    return (await this.sync(manager, repository, request)).appends;
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.watches]);
    if (this.own.dataSource.isInitialized) await this.own.dataSource.destroy();
  }

  // the revision, the applications and what the head commit says (trace, rollback): read once per sync. The
  // applications Git no longer names but that still run something are reconciled too, towards nothing.
  private async plan(manager: EntityManager, repository: RepositoryRecord, request: SyncRequest): Promise<{ revision: string; applications: AppRef[]; items: SyncItem[] }> {
    const locator = locatorOf(repository);
    const revision = request.revision ?? (await this.git.resolveBranch(locator, repository.defaultBranch));
    if (revision === undefined) throw new NotFoundError('branch.not-found', `branch ${repository.defaultBranch} of repository ${repository.repositoryId} does not exist`);
    const files = await this.git.listFiles(locator, revision, ENVIRONMENTS_DIR);
    const filter = { ...(request.environment !== undefined ? { environment: request.environment } : {}), ...(request.application !== undefined ? { application: request.application } : {}) };
    const refs = applicationsOf(files, filter);
    const head = await this.git.getCommit(locator, revision);
    const about = request.commit?.sha === revision ? { ...head, ...request.commit } : head;
    const traceId = about?.trailers?.['Trace-Id'];
    const rollback = about ? await this.rollbackOf(locator, revision, about) : undefined;
    const listed = new Set(files);
    const named = new Set(refs.map(workloadPath));
    const removed = (await runningApplications(manager, repository, filter)).filter((ref) => !named.has(workloadPath(ref)));
    const items = [...refs, ...removed].map((ref): SyncItem => {
      const touched = rollback?.paths.has(workloadPath(ref)) ?? false;
      return {
        locator,
        path: workloadPath(ref),
        removed: !named.has(workloadPath(ref)),
        ...(listed.has(syncPolicyPath(ref)) ? { policyPath: syncPolicyPath(ref) } : {}),
        input: {
          key: { tenantId: repository.tenantId, projectId: repository.projectId, repositoryId: repository.repositoryId, ...ref },
          revision,
          trigger: touched && request.trigger !== 'manual' ? 'rollback' : request.trigger,
          ...(request.prune !== undefined ? { prune: request.prune } : {}),
          ...(rollback && touched ? { rollback: { revertOf: rollback.revertOf, rolledBackTo: rollback.rolledBackTo } } : {}),
          ...(traceId !== undefined && TRACE_ID.test(traceId) ? { traceId } : {}),
        },
      };
    });
    return { revision, applications: refs, items };
  }

  /** undefined when workload.json is gone at the revision (nothing to reconcile) */
  private async reconcile(manager: EntityManager, item: SyncItem): Promise<Reconciled | undefined> {
    if (item.removed) return this.reconciler.reconcile(manager, { ...item.input, workloadJson: null });
    const read = (path: string | undefined) => (path === undefined ? Promise.resolve(undefined) : this.git.readFile(item.locator, item.input.revision, path));
    const [bytes, policy] = await Promise.all([read(item.path), read(item.policyPath)]).catch((error: unknown) => {
      throw platformErrorOf(error);
    });
    if (bytes === undefined) return undefined;
    return this.reconciler.reconcile(manager, { ...item.input, workloadJson: bytes.toString('utf8'), ...(policy !== undefined ? { syncPolicyJson: policy.toString('utf8') } : {}) });
  }

  private async reconcileAlone(repository: RepositoryRecord, item: SyncItem): Promise<void> {
    const reconciled = await this.own.dataSource.transaction(async (manager) => {
      const result = await this.reconcile(manager, item);
      if (result) await appendAll(this.own.store, [result], manager);
      return result;
    });
    if (reconciled?.settling) this.watch(repository, item.input.key, reconciled.settling);
  }

  private async assertManualSyncs(manager: EntityManager, revision: string, items: SyncItem[]): Promise<void> {
    const rejected = await rejectedRevisionsOf(manager, items.map((i) => i.input.key));
    for (const state of rejected.values()) assertManualSync(state, revision, false);
  }

  // A rollout this process applied, watched in memory: observe every settlePollMs and reconcile as soon as the
  // runtime's health is no longer the one reported, instead of waiting for the durable settle wake (which stays
  // scheduled: a restart or a failed watch still gets there). It ends after WATCH_SETTLE_PERIODS × settleMs.
  private watch(repository: RepositoryRecord, key: AppKey, reported: HealthStatus): void {
    if (this.stopped) return;
    const run = this.watchUntilChanged(repository, key, reported)
      .catch((error: unknown) => this.logger.warn(`settle watch of ${key.environment}/${key.application}: ${String(error)}`))
      .finally(() => this.watches.delete(run));
    this.watches.add(run);
  }

  private async watchUntilChanged(repository: RepositoryRecord, key: AppKey, reported: HealthStatus): Promise<void> {
    const until = Date.now() + WATCH_SETTLE_PERIODS * this.settings.settleMs;
    while (!this.stopped && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, this.settings.settlePollMs).unref());
      if (this.stopped) return;
      const observed = await this.runtime.observe(key.environment, key.application);
      if (aggregateHealth(observed.workloads.map((w) => w.health)) === reported) continue;
      const appends = await this.limit(() =>
        this.own.dataSource.transaction(async (manager) => {
          // the reconcile holds the wake timer before the application's row and moves it: nothing to cancel here
          const result = await this.wake(manager, repository, key);
          await appendAll(this.own.store, result, manager);
          return result;
        }),
      );
      const still = appends.find((a) => a.settling !== null)?.settling;
      // Missing → Progressing, say: keep watching from what was reported now
      if (still) reported = still;
      else return;
    }
  }

  // the reverted commit's parent is the content the revert restores; paths: the files the revert changed
  private async rollbackOf(locator: RepositoryLocator, revision: string, commit: { message?: string; trailers?: Record<string, string>; revertOf?: string; parents?: string[] }) {
    const revertOf = revertedBy(commit);
    if (revertOf === undefined) return undefined;
    const reverted = await this.git.getCommit(locator, revertOf);
    const parent = commit.parents?.[0];
    const changed = parent ? await this.git.diff(locator, parent, revision) : [];
    return { revertOf, rolledBackTo: reverted?.parents[0] ?? parent ?? revision, paths: new Set(changed.map((c) => c.path)) };
  }
}
