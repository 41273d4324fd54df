import type { EventType } from '@delivery/contracts';
import type { ServiceName } from '@delivery/contracts';

// Which service reacts to which event: one durable consumer each (nats-server 2.9 allows one filter subject per
// consumer). Contexts add their rows as they arrive; every command a service handles has its own durable anyway.
export const subscriptions: ReadonlyArray<{ service: ServiceName; events: readonly EventType[] }> = [
  // source control: each service keeps its copy of the repository directory and branch policies (issue 3)
  { service: 'branch', events: ['RepositoryProvisioned'] },
  { service: 'commit', events: ['RepositoryProvisioned', 'BranchPolicySet'] },
  { service: 'pull-request', events: ['RepositoryProvisioned', 'BranchPolicySet'] },
  // release (issue 4): the saga follows builds and promotions; a promotion follows its manifests, GitOps sync,
  // runtime health and the reverts of a rollback; manifests are committed through the commit service
  { service: 'release', events: ['BuildCompleted', 'DeploymentPromoted', 'PromotionFailed', 'DeploymentRolledBack'] },
  {
    service: 'environment-promotion',
    events: ['DeploymentManifestRendered', 'DeploymentManifestRenderFailed', 'GitOpsSynced', 'GitOpsSyncFailed', 'RuntimeHealthReported', 'CommitCreated', 'CommitFailed'],
  },
  { service: 'deployment-manifest', events: ['RepositoryProvisioned', 'CommitCreated', 'CommitFailed'] },
  // gitops (issue 6): sync follows its GitOps repositories and the commits and merges on them
  { service: 'gitops-sync', events: ['RepositoryProvisioned', 'CommitCreated', 'PullRequestMerged'] },
  // pipelines (issue 5): the generator commits through the commit service; runs check out known repositories;
  // build-result ingests finished runs
  { service: 'pipeline-generator', events: ['RepositoryProvisioned', 'CommitCreated', 'CommitFailed'] },
  { service: 'pipeline-execution', events: ['RepositoryProvisioned'] },
  { service: 'build-result', events: ['PipelineRunFinished'] },
  // packaging (issue 5): nothing is published from a build that did not succeed
  { service: 'package-publishing', events: ['BuildCompleted'] },
  { service: 'container-image', events: ['BuildCompleted'] },
];
