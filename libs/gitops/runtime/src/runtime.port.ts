import type { schemas } from '@delivery/contracts';


// The runtime port of GitOps sync (DESIGN §5): the local process runtime is the embedded default, Kubernetes the
// production adapter. gitops-sync decides (drift, heal, escalate) from what `observe` reports; adapters only apply
// and observe, they never decide.

export type HealthStatus = 'Healthy' | 'Suspended' | 'Progressing' | 'Missing' | 'Degraded' | 'Unknown';
export type TrafficSlot = schemas.TrafficWeight['slot'];

/** One workload of an application as Git wants it: a slot of a blue-green or canary pair, or the only one. */
export interface DesiredWorkload {
  /** unique within the application, e.g. "shop-stable", "shop-canary", "shop" */
  name: string;
  slot: TrafficSlot | null;
  /** the release version that runs in it */
  version: string;
  releaseId: string | null;
  /** argv, no shell */
  command: string[];
  /** the port the process listens on inside its sandbox; the local runtime allocates the host port */
  port: number | null;
  healthPath: string | null;
  env: Record<string, string>;
  replicas: number;
  /** what to run: an OCI image (Kubernetes, or unpacked layers locally) or an npm package from a feed */
  artifact: { kind: 'image'; reference: string; digest?: string } | { kind: 'npm-package'; name: string; version: string; feed: string; tarball?: string };
  /** sha256 hex of the canonical JSON of everything above: "wrong version/spec" drift compares this */
  specHash: string;
}

/** An application in an environment at one revision of the GitOps repository. */
export interface DesiredApplication {
  environment: string;
  application: string;
  /** the GitOps commit this desired state comes from */
  revision: string;
  releaseId: string | null;
  workloads: DesiredWorkload[];
  /** traffic split across slots (weights sum to 100); empty: one workload takes all traffic */
  weights: Array<{ slot: TrafficSlot; weight: number }>;
  /** delete workloads of this application that Git no longer names (opt-in) */
  prune: boolean;
  /** how long a rollout may take before it is Degraded (progress deadline) */
  progressDeadlineSeconds: number;
}

export interface ObservedWorkload {
  name: string;
  slot: TrafficSlot | null;
  specHash: string | null;
  health: HealthStatus;
  replicas: number;
  readyReplicas: number;
  /** restarts of its processes/containers, cumulative */
  restarts: number;
  /** restarts within the last 10 minutes (crash-loop detection) */
  recentRestarts: number;
  message?: string;
}

export interface ObservedApplication {
  environment: string;
  application: string;
  workloads: ObservedWorkload[];
  /** the router's (or Gateway's) current split; null when the runtime has no router for it */
  weights: Array<{ slot: TrafficSlot; weight: number }> | null;
}

export interface ApplyResult {
  /** workloads created, updated or deleted by this apply */
  changed: string[];
  /** a field-level or validation error refuses the whole apply before anything starts */
  error?: { code: string; message: string };
}

export interface RuntimeAdapter {
  readonly kind: 'local' | 'kubernetes';
  /** validates, then converges the runtime toward `desired` (idempotent); never waits for health */
  apply(desired: DesiredApplication): Promise<ApplyResult>;
  observe(environment: string, application: string): Promise<ObservedApplication>;
  /** every application the runtime runs in an environment (extraneous-workload detection) */
  applications(environment: string): Promise<string[]>;
}
