import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { platformErrorOf, type GitProvider, type RepositoryLocator } from '@delivery/git-provider';
import { NotFoundError } from '@delivery/messaging';
import { GIT_PROVIDER, locatorOf, type RepositoryRecord } from '@delivery/repository-directory';
import type { StreamAppend } from '@delivery/service-kit';
import { ApplicationReconciler, type Trigger } from './application.reconciler';
import { applicationsOf, ENVIRONMENTS_DIR, revertedBy, workloadPath, type AppRef } from './gitops.layout';

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
  appends: StreamAppend[];
}

const TRACE_ID = /^[0-9a-f]{32}$/;

// A trigger on a GitOps repository: every environments/*/*/workload.json at the revision (or the ones asked
// for) is reconciled. A revision that reverts another rejects the reverted one for the applications it touched,
// and syncs the reverted-to content at once (it is this revision's content).
@Injectable()
export class RepositorySync {
  constructor(
    @Inject(GIT_PROVIDER) private readonly git: GitProvider,
    private readonly reconciler: ApplicationReconciler,
  ) {}

  async sync(manager: EntityManager, repository: RepositoryRecord, request: SyncRequest): Promise<SyncOutcome> {
    const locator = locatorOf(repository);
    try {
      const revision = request.revision ?? (await this.git.resolveBranch(locator, repository.defaultBranch));
      if (revision === undefined) throw new NotFoundError('branch.not-found', `branch ${repository.defaultBranch} of repository ${repository.repositoryId} does not exist`);
      const files = await this.git.listFiles(locator, revision, ENVIRONMENTS_DIR);
      const filter = { ...(request.environment !== undefined ? { environment: request.environment } : {}), ...(request.application !== undefined ? { application: request.application } : {}) };
      const refs = applicationsOf(files, filter);
      const head = await this.git.getCommit(locator, revision);
      const about = request.commit?.sha === revision ? { ...head, ...request.commit } : head;
      const traceId = about?.trailers?.['Trace-Id'];
      const rollback = about ? await this.rollbackOf(locator, revision, about) : undefined;
      const appends: StreamAppend[] = [];
      for (const ref of refs) {
        const bytes = await this.git.readFile(locator, revision, workloadPath(ref));
        if (bytes === undefined) continue;
        const touched = rollback?.paths.has(workloadPath(ref)) ?? false;
        appends.push(
          await this.reconciler.reconcile(manager, {
            key: { tenantId: repository.tenantId, projectId: repository.projectId, repositoryId: repository.repositoryId, ...ref },
            revision,
            workloadJson: bytes.toString('utf8'),
            trigger: touched && request.trigger !== 'manual' ? 'rollback' : request.trigger,
            ...(request.prune !== undefined ? { prune: request.prune } : {}),
            ...(rollback && touched ? { rollback: { revertOf: rollback.revertOf, rolledBackTo: rollback.rolledBackTo } } : {}),
            ...(traceId !== undefined && TRACE_ID.test(traceId) ? { traceId } : {}),
          }),
        );
      }
      return { revision, applications: refs, appends };
    } catch (error) {
      throw platformErrorOf(error);
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
