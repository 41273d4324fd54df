import { Module, type DynamicModule } from '@nestjs/common';
import type { RuntimeAdapter } from '@delivery/gitops-runtime';
import { SourceControlModule } from '@delivery/repository-directory';
import { commandConsumer, Timers, timerPoller } from '@delivery/service-kit';
import { RuntimeHealthReporter } from './health/runtime-health.reporter';
import { ApplicationsController } from './rest/applications.controller';
import { runtimeProvider, RuntimeShutdown } from './runtime.provider';
import { ApplicationReconciler } from './sync/application.reconciler';
import { RepositorySync } from './sync/repository.sync';
import { GitOpsTimers } from './triggers/gitops.timers';
import { GitOpsTriggerReactions } from './triggers/gitops-triggers.reactions';
import { IntervalScheduler } from './triggers/interval.scheduler';
import { SyncGitOpsHandler } from './triggers/sync-gitops.handler';
import { SYNC_SETTINGS, syncSettingsOf, type SyncSettings } from './triggers/sync.settings';

export interface GitOpsSyncOptions extends Partial<SyncSettings> {
  /** the runtime to converge onto; default: Kubernetes when KUBECONFIG is set, else the local runtime (runtime.provider) */
  runtime?: RuntimeAdapter;
}

@Module({})
export class GitOpsSyncModule {
  static forRoot(options: GitOpsSyncOptions = {}): DynamicModule {
    return {
      module: GitOpsSyncModule,
      // no projection of its own from the kit: GitOpsTriggerReactions keeps the directory and starts the intervals
      imports: [SourceControlModule.forService([])],
      controllers: [commandConsumer('SyncGitOps', SyncGitOpsHandler), GitOpsTriggerReactions, ApplicationsController],
      providers: [
        runtimeProvider(options.runtime),
        RuntimeShutdown,
        { provide: SYNC_SETTINGS, useValue: syncSettingsOf(options) },
        Timers,
        ApplicationReconciler,
        RepositorySync,
        IntervalScheduler,
        SyncGitOpsHandler,
        GitOpsTimers,
        timerPoller(GitOpsTimers),
        RuntimeHealthReporter,
      ],
    };
  }
}
