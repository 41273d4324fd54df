import { createHash } from 'node:crypto';
import type { DesiredApplication, DesiredWorkload, TrafficSlot } from '@delivery/gitops-runtime';

// The Kubernetes objects of one DesiredApplication, built here (not read from the rendered manifest) so the adapter
// converges exactly what gitops-sync decided. Shapes follow deployment-manifest's manifest.kubernetes.ts.

export const FIELD_MANAGER = 'delivery-gitops';
export const MANAGED_BY = 'delivery-gitops';
export const LABELS = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  managedBy: 'app.kubernetes.io/managed-by',
  slot: 'delivery/slot',
  revision: 'delivery/revision',
  environment: 'delivery/environment',
} as const;
export const ANNOTATIONS = {
  /** the workload's specHash (what observe reports for drift) */
  specHash: 'delivery/spec-hash',
  /** sha256 of the object as this adapter rendered it: the diff's no-op test */
  appliedHash: 'delivery/applied-hash',
} as const;
const PORT_NAME = 'http';

export interface KubeMetadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  generation?: number;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMetadata;
  [key: string]: unknown;
}

export interface GatewayRef {
  name: string;
  namespace?: string;
  sectionName?: string;
}

export type TrafficMode = 'single' | 'blue-green' | 'canary-route' | 'canary-replicas';

export interface RenderOptions {
  namespace: string;
  gateway: GatewayRef | null;
  /** the HTTPRoute kind was discovered at /apis/gateway.networking.k8s.io/v1 */
  httpRouteAvailable: boolean;
}

export function trafficModeOf(desired: DesiredApplication, opts: Pick<RenderOptions, 'gateway' | 'httpRouteAvailable'>): TrafficMode {
  const slots = new Set(desired.workloads.map((w) => w.slot));
  if (slots.has('blue') || slots.has('green')) return 'blue-green';
  if (slots.has('canary')) return opts.gateway && opts.httpRouteAvailable ? 'canary-route' : 'canary-replicas';
  return 'single';
}

/** Every object of the application except the inventory, in apply order (workloads before traffic). */
export function renderApplication(desired: DesiredApplication, opts: RenderOptions): KubeObject[] {
  const mode = trafficModeOf(desired, opts);
  const replicas = replicasOf(desired, mode);
  const objects: KubeObject[] = desired.workloads.map((w) => deploymentObject(desired, w, replicas.get(w.name) ?? w.replicas, opts.namespace));
  const port = desired.workloads.find((w) => w.port !== null)?.port ?? null;
  // a worker application without a port gets no Service
  if (port !== null) {
    objects.push(serviceObject(desired, opts.namespace, desired.application, port, mode === 'blue-green' ? activeSlot(desired) : null));
    if (mode === 'canary-route' && opts.gateway) {
      const slots = slotWeights(desired);
      for (const s of slots) objects.push(serviceObject(desired, opts.namespace, `${desired.application}-${s.slot}`, port, s.slot));
      objects.push(httpRouteObject(desired, opts.namespace, port, opts.gateway, slots));
    }
  }
  return objects.map(withAppliedHash);
}

export function inventoryName(application: string): string {
  return `delivery-inventory-${application}`;
}

/** `Kind/name` of an object: the inventory's entries and the diff's identity. */
export function refOf(object: Pick<KubeObject, 'kind' | 'metadata'>): string {
  return `${object.kind}/${object.metadata.name}`;
}

/** The ConfigMap that lists what this adapter applied for the application (prune reads it back). */
export function inventoryObject(desired: DesiredApplication, namespace: string, refs: readonly string[]): KubeObject {
  return withAppliedHash({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: inventoryName(desired.application), namespace, labels: baseLabels(desired) },
    data: { objects: JSON.stringify([...new Set(refs)].sort()) },
  });
}

export function inventoryEntries(configMap: KubeObject | undefined): string[] {
  const data = configMap?.['data'] as Record<string, string> | undefined;
  if (!data?.['objects']) return [];
  try {
    const parsed: unknown = JSON.parse(data['objects']);
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** canary replicas = round(total × weight/100), stable takes the rest; total is the sum of the slots' replicas. */
export function replicaSplit(total: number, canaryWeight: number): { stable: number; canary: number } {
  const canary = Math.round((total * canaryWeight) / 100);
  return { stable: total - canary, canary };
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function appliedHashOf(object: KubeObject): string {
  const annotations = { ...(object.metadata.annotations ?? {}) };
  delete annotations[ANNOTATIONS.appliedHash];
  const bare = { ...object, metadata: { ...object.metadata, annotations } };
  return createHash('sha256').update(canonicalJson(bare)).digest('hex');
}

function withAppliedHash(object: KubeObject): KubeObject {
  const hash = appliedHashOf(object);
  return { ...object, metadata: { ...object.metadata, annotations: { ...(object.metadata.annotations ?? {}), [ANNOTATIONS.appliedHash]: hash } } };
}

function replicasOf(desired: DesiredApplication, mode: TrafficMode): Map<string, number> {
  const result = new Map<string, number>();
  if (mode !== 'canary-replicas') return result;
  const stable = desired.workloads.find((w) => w.slot === 'stable');
  const canary = desired.workloads.find((w) => w.slot === 'canary');
  if (!stable || !canary) return result;
  const weight = desired.weights.find((w) => w.slot === 'canary')?.weight ?? 0;
  const split = replicaSplit(stable.replicas + canary.replicas, weight);
  result.set(stable.name, split.stable);
  result.set(canary.name, split.canary);
  return result;
}

function activeSlot(desired: DesiredApplication): TrafficSlot | null {
  const best = [...desired.weights].sort((a, b) => b.weight - a.weight)[0];
  return best?.slot ?? desired.workloads[0]?.slot ?? null;
}

function slotWeights(desired: DesiredApplication): Array<{ slot: TrafficSlot; weight: number }> {
  const slots = desired.workloads.map((w) => w.slot).filter((s): s is TrafficSlot => s !== null);
  return slots.map((slot) => ({ slot, weight: desired.weights.find((w) => w.slot === slot)?.weight ?? 0 }));
}

function baseLabels(desired: DesiredApplication): Record<string, string> {
  return {
    [LABELS.name]: desired.application,
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.environment]: desired.environment,
  };
}

function deploymentObject(desired: DesiredApplication, workload: DesiredWorkload, replicas: number, namespace: string): KubeObject {
  // pod labels never carry the revision: a new GitOps commit alone must not roll the pods
  const podLabels: Record<string, string> = {
    [LABELS.name]: desired.application,
    [LABELS.instance]: workload.name,
    ...(workload.slot === null ? {} : { [LABELS.slot]: workload.slot }),
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: workload.name,
      namespace,
      labels: { ...baseLabels(desired), ...podLabels, [LABELS.revision]: desired.revision },
      annotations: { [ANNOTATIONS.specHash]: workload.specHash },
    },
    spec: {
      replicas,
      progressDeadlineSeconds: desired.progressDeadlineSeconds,
      // spec.selector is immutable: only labels that never change for this Deployment
      selector: { matchLabels: { [LABELS.name]: desired.application, [LABELS.instance]: workload.name } },
      template: { metadata: { labels: podLabels }, spec: { containers: [containerOf(workload)] } },
    },
  };
}

function containerOf(workload: DesiredWorkload): Record<string, unknown> {
  const artifact = workload.artifact;
  const image = artifact.kind === 'image' ? imageOf(artifact.reference, artifact.digest) : '';
  const env = Object.entries(workload.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const probe = workload.healthPath === null || workload.port === null ? undefined : { httpGet: { path: workload.healthPath, port: PORT_NAME } };
  return {
    name: 'app',
    image,
    command: workload.command.length === 0 ? undefined : workload.command,
    ports: workload.port === null ? undefined : [{ name: PORT_NAME, containerPort: workload.port, protocol: 'TCP' }],
    env: env.length === 0 ? undefined : env.map(([name, value]) => ({ name, value })),
    readinessProbe: probe,
    livenessProbe: probe,
  };
}

function imageOf(reference: string, digest: string | undefined): string {
  if (!digest || reference.includes('@')) return reference;
  return `${reference}@${digest}`;
}

function serviceObject(desired: DesiredApplication, namespace: string, name: string, port: number, slot: TrafficSlot | null): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: baseLabels(desired) },
    spec: {
      // blue-green: the selector names the active slot; switching swaps it
      selector: { [LABELS.name]: desired.application, ...(slot === null ? {} : { [LABELS.slot]: slot }) },
      ports: [{ name: PORT_NAME, port, targetPort: PORT_NAME, protocol: 'TCP' }],
    },
  };
}

function httpRouteObject(
  desired: DesiredApplication,
  namespace: string,
  port: number,
  gateway: GatewayRef,
  slots: ReadonlyArray<{ slot: TrafficSlot; weight: number }>,
): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: desired.application, namespace, labels: baseLabels(desired) },
    spec: {
      parentRefs: [{ name: gateway.name, namespace: gateway.namespace, sectionName: gateway.sectionName }],
      rules: [{ backendRefs: slots.map((s) => ({ name: `${desired.application}-${s.slot}`, port, weight: s.weight })) }],
    },
  };
}
