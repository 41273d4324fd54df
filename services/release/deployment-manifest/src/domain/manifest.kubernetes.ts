import type { schemas } from '@delivery/contracts';
import type { YamlMap } from './yaml.writer';

// The Kubernetes objects of a rendered release, as plain maps in the conventional key order (apiVersion, kind,
// metadata, spec); yaml.writer turns them into bytes. Only what the release says is written: no resources,
// probe timings or Service types are invented, so the cluster's defaults apply.

export const MANAGED_BY = 'delivery-platform';
export const LABELS = {
  name: 'app.kubernetes.io/name',
  partOf: 'app.kubernetes.io/part-of',
  version: 'app.kubernetes.io/version',
  managedBy: 'app.kubernetes.io/managed-by',
  releaseId: 'delivery.platform/release-id',
  environment: 'delivery.platform/environment',
  slot: 'delivery.platform/slot',
} as const;
// Containers name their port so Services and probes survive a port change between the releases of two slots.
const PORT_NAME = 'http';

export type Slot = schemas.TrafficWeight['slot'];
type RollingStrategy = Extract<schemas.Strategy, { kind: 'rolling' }>;

/** What every object of one application in one environment shares. */
export interface ObjectContext {
  name: string;
  application: string;
  environment: string;
  namespace?: string;
}

/** One release as a pod: the workload plus its pinned image and label-safe version. */
export interface PodSpecInput extends schemas.WorkloadSpec {
  image: string;
  /** label-safe version */
  version: string;
  releaseId: string;
}

export interface SlotWeight {
  slot: Slot;
  weight: number;
}

export function deploymentObject(ctx: ObjectContext, release: PodSpecInput, replicas: number, slot: Slot | null, rolling?: RollingStrategy): YamlMap {
  const labels = labelsOf(ctx, release, slot);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadataOf(objectName(ctx, slot), ctx, labels),
    spec: {
      replicas,
      // spec.selector is immutable: only labels that never change between releases of this object
      selector: { matchLabels: selectorOf(ctx, slot) },
      strategy: rolling ? rollingUpdateOf(rolling) : undefined,
      template: {
        metadata: { labels },
        spec: { containers: [containerOf(release)] },
      },
    },
  };
}

/**
 * A Service named after the application (nameSlot null) or one slot; it selects the application's pods, or only
 * those of selectSlot (the blue-green switch, or a slot's own Service).
 */
export function serviceObject(ctx: ObjectContext, release: PodSpecInput, port: number, selectSlot: Slot | null, nameSlot: Slot | null): YamlMap {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadataOf(objectName(ctx, nameSlot), ctx, labelsOf(ctx, release, nameSlot)),
    spec: {
      selector: selectorOf(ctx, selectSlot),
      ports: [{ name: PORT_NAME, port, targetPort: PORT_NAME, protocol: 'TCP' }],
    },
  };
}

/** A Gateway API v1 HTTPRoute splitting traffic between the slots' Services by weight. */
export function httpRouteObject(
  ctx: ObjectContext,
  release: PodSpecInput,
  port: number,
  gateway: { name: string; namespace?: string; sectionName?: string },
  slots: readonly SlotWeight[],
): YamlMap {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: metadataOf(ctx.name, ctx, labelsOf(ctx, release, null)),
    spec: {
      parentRefs: [{ name: gateway.name, namespace: gateway.namespace, sectionName: gateway.sectionName }],
      rules: [{ backendRefs: slots.map((s) => ({ name: objectName(ctx, s.slot), port, weight: s.weight })) }],
    },
  };
}

function objectName(ctx: ObjectContext, slot: Slot | null): string {
  return slot === null ? ctx.name : `${ctx.name}-${slot}`;
}

function metadataOf(name: string, ctx: ObjectContext, labels: Record<string, string>): YamlMap {
  return { name, namespace: ctx.namespace, labels };
}

function selectorOf(ctx: ObjectContext, slot: Slot | null): Record<string, string> {
  return sortedMap({ [LABELS.name]: ctx.name, ...(slot === null ? {} : { [LABELS.slot]: slot }) });
}

function labelsOf(ctx: ObjectContext, release: PodSpecInput, slot: Slot | null): Record<string, string> {
  return sortedMap({
    [LABELS.name]: ctx.name,
    [LABELS.partOf]: ctx.application,
    [LABELS.version]: release.version,
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.releaseId]: release.releaseId,
    [LABELS.environment]: ctx.environment,
    ...(slot === null ? {} : { [LABELS.slot]: slot }),
  });
}

// Sorted like kubectl prints maps, so the order never depends on how a map was built.
function sortedMap(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function rollingUpdateOf(strategy: RollingStrategy): YamlMap {
  const surge = strategy.maxSurgePercent;
  const unavailable = strategy.maxUnavailablePercent;
  const given = surge !== undefined || unavailable !== undefined;
  return {
    type: 'RollingUpdate',
    rollingUpdate: given
      ? { maxSurge: surge === undefined ? undefined : `${surge}%`, maxUnavailable: unavailable === undefined ? undefined : `${unavailable}%` }
      : undefined,
  };
}

function containerOf(release: PodSpecInput): YamlMap {
  const env = Object.entries(release.env ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const probe = release.healthPath === undefined ? undefined : { httpGet: { path: release.healthPath, port: PORT_NAME } };
  return {
    name: release.name,
    image: release.image,
    // argv exactly, no shell: `command` replaces the image's entrypoint
    command: release.command,
    ports: release.port === undefined ? undefined : [{ name: PORT_NAME, containerPort: release.port, protocol: 'TCP' }],
    env: env.length === 0 ? undefined : env.map(([name, value]) => ({ name, value })),
    readinessProbe: probe,
    livenessProbe: probe,
  };
}
