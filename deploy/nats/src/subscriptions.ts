import type { EventType } from '@delivery/contracts';
import type { ServiceName } from '@delivery/contracts';

// Which service reacts to which event: one durable consumer each (nats-server 2.9 allows one filter subject per
// consumer). Contexts add their rows as they arrive; every command a service handles has its own durable anyway.
export const subscriptions: ReadonlyArray<{ service: ServiceName; events: readonly EventType[] }> = [
  // source control: each service keeps its copy of the repository directory and branch policies (issue 3)
  { service: 'branch', events: ['RepositoryProvisioned'] },
  { service: 'commit', events: ['RepositoryProvisioned', 'BranchPolicySet'] },
  { service: 'pull-request', events: ['RepositoryProvisioned', 'BranchPolicySet'] },
];
