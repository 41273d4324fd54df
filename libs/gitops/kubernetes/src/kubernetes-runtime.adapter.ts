import type { ApplyResult, DesiredApplication, ObservedApplication, ObservedWorkload, RuntimeAdapter, TrafficSlot } from '@delivery/gitops-runtime';
import { diff, pruneCandidates, type Change } from './apply.diff';
import { deploymentHealth, type DeploymentLike } from './deployment.health';
import { observedRestarts, type PodLike } from './pod.restarts';
import { KubeApiClient, KubeApiError, RESOURCES, type KubeConnection } from './kube-api.client';
import { validateDesired } from './desired.validator';
import {
  ANNOTATIONS,
  FIELD_MANAGER,
  LABELS,
  MANAGED_BY,
  inventoryEntries,
  inventoryName,
  inventoryObject,
  refOf,
  renderApplication,
  type GatewayRef,
  type KubeObject,
} from './kube.objects';

// The production runtime adapter: converges a DesiredApplication with server-side apply and reports what runs.
// It applies and observes; gitops-sync decides (drift, heal, escalate).

export interface KubernetesRuntimeOptions {
  connection: KubeConnection;
  /** the namespace of an environment; default: the environment's name */
  namespaceOf?: (environment: string) => string;
  /** the Gateway API Gateway that canary HTTPRoutes attach to; null: canary by replica ratio */
  gateway?: GatewayRef | null;
  fieldManager?: string;
  /** for the recent-restarts window */
  now?: () => Date;
}

export interface PlanResult {
  changes: Change[];
  error?: { code: string; message: string };
}

const GATEWAY_GROUP_VERSION = 'gateway.networking.k8s.io/v1';
const PRUNABLE_KINDS = ['Deployment', 'Service', 'HTTPRoute'] as const;

export class KubernetesRuntimeAdapter implements RuntimeAdapter {
  readonly kind = 'kubernetes' as const;
  private readonly client: KubeApiClient;
  private readonly fieldManager: string;

  constructor(private readonly options: KubernetesRuntimeOptions) {
    this.client = new KubeApiClient(options.connection);
    this.fieldManager = options.fieldManager ?? FIELD_MANAGER;
  }

  /** The dry-run diff: the plan by applied hash, then every create/update sent with dryRun=All for validation. */
  async plan(desired: DesiredApplication): Promise<PlanResult> {
    const invalid = validateDesired(desired);
    if (invalid) return { changes: [], error: { code: 'Invalid', message: invalid } };
    const changes = await this.changesOf(desired);
    const error = await this.dryRun(changes);
    return error ? { changes, error } : { changes };
  }

  async apply(desired: DesiredApplication): Promise<ApplyResult> {
    const planned = await this.plan(desired);
    if (planned.error) return { changed: [], error: planned.error };
    const changed: string[] = [];
    const namespace = this.namespaceOf(desired.environment);
    for (const change of planned.changes) {
      try {
        if (change.action === 'create' || change.action === 'update') await this.applyWithRetry(change.object, false);
        else if (change.action === 'delete') await this.client.delete(change.kind, namespace, change.name);
        else continue;
      } catch (error) {
        return { changed, error: apiErrorOf(error, change.ref) };
      }
      if (change.kind !== 'ConfigMap') changed.push(change.kind === 'Deployment' ? change.name : change.ref);
    }
    return { changed };
  }

  async observe(environment: string, application: string): Promise<ObservedApplication> {
    const namespace = this.namespaceOf(environment);
    const selector = appSelector(application);
    const [deployments, pods, services, routes] = await Promise.all([
      this.client.list('Deployment', namespace, selector),
      this.client.list('Pod', namespace, `${LABELS.name}=${application}`),
      this.client.list('Service', namespace, selector),
      this.routesAvailable().then((ok) => (ok ? this.client.list('HTTPRoute', namespace, selector) : { items: [] as KubeObject[], resourceVersion: '' })),
    ]);
    const now = (this.options.now ?? (() => new Date()))();
    const workloads: ObservedWorkload[] = deployments.items
      .map((d) => {
        const labels = d.metadata.labels ?? {};
        const name = labels[LABELS.instance] ?? d.metadata.name;
        const health = deploymentHealth(d as unknown as DeploymentLike);
        const ownPods = pods.items.filter((p) => p.metadata.labels?.[LABELS.instance] === name) as unknown as PodLike[];
        const restarts = observedRestarts(ownPods, now);
        const spec = d['spec'] as { replicas?: number } | undefined;
        const status = d['status'] as { readyReplicas?: number } | undefined;
        return {
          name,
          slot: (labels[LABELS.slot] as TrafficSlot | undefined) ?? null,
          specHash: d.metadata.annotations?.[ANNOTATIONS.specHash] ?? null,
          health: health.status,
          replicas: spec?.replicas ?? 1,
          readyReplicas: status?.readyReplicas ?? 0,
          restarts: restarts.total,
          recentRestarts: restarts.recent,
          ...(health.message ? { message: health.message } : {}),
        };
      })
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    return { environment, application, workloads, weights: observedWeights(application, workloads, services.items, routes.items) };
  }

  async applications(environment: string): Promise<string[]> {
    const namespace = this.namespaceOf(environment);
    const { items } = await this.client.list('Deployment', namespace, `${LABELS.managedBy}=${MANAGED_BY}`);
    return [...new Set(items.map((d) => d.metadata.labels?.[LABELS.name]).filter((n): n is string => !!n))].sort();
  }

  private namespaceOf(environment: string): string {
    return this.options.namespaceOf ? this.options.namespaceOf(environment) : environment;
  }

  private async routesAvailable(): Promise<boolean> {
    const resources = await this.client.discover(GATEWAY_GROUP_VERSION);
    return resources?.includes(RESOURCES['HTTPRoute']?.plural ?? 'httproutes') ?? false;
  }

  private async changesOf(desired: DesiredApplication): Promise<Change[]> {
    const namespace = this.namespaceOf(desired.environment);
    const gateway = this.options.gateway ?? null;
    // discovery only matters with a Gateway; HTTPRoutes are then also listed so a finished canary's route is pruned
    const httpRouteAvailable = gateway !== null ? await this.routesAvailable() : false;
    const objects = renderApplication(desired, { namespace, gateway, httpRouteAvailable });
    const kinds = PRUNABLE_KINDS.filter((k) => k !== 'HTTPRoute' || httpRouteAvailable);
    const lists = await Promise.all(kinds.map((k) => this.client.list(k, namespace, appSelector(desired.application))));
    const labelled = lists.flatMap((l) => l.items);
    const inventory = await this.client.get('ConfigMap', namespace, inventoryName(desired.application));
    const listed = inventoryEntries(inventory);
    // objects the inventory names but the label lists missed (labels edited by hand) are fetched one by one
    const live = [...labelled];
    const known = new Set(labelled.map(refOf));
    for (const ref of pruneCandidates(listed, labelled)) {
      if (known.has(ref)) continue;
      const [kind, name] = ref.split('/');
      if (!kind || !name || !RESOURCES[kind] || (kind === 'HTTPRoute' && !httpRouteAvailable)) continue;
      const found = await this.client.get(kind, namespace, name);
      if (found) live.push({ ...found, kind });
    }
    // without prune, what the inventory already lists stays listed so a later prune still finds it
    const desiredRefs = objects.map(refOf);
    const kept = desired.prune ? [] : listed.filter((ref) => !desiredRefs.includes(ref));
    const all = [...objects, inventoryObject(desired, namespace, [...desiredRefs, ...kept])];
    if (inventory) live.push({ ...inventory, kind: 'ConfigMap' });
    return diff(all, live, { prune: desired.prune });
  }

  private async dryRun(changes: readonly Change[]): Promise<{ code: string; message: string } | undefined> {
    for (const change of changes) {
      if (change.action !== 'create' && change.action !== 'update') continue;
      try {
        await this.applyWithRetry(change.object, true);
      } catch (error) {
        return apiErrorOf(error, change.ref);
      }
    }
    return undefined;
  }

  // A 409 is retried once (another writer raced us; force=true settles field conflicts), then reported.
  private async applyWithRetry(object: KubeObject, dryRun: boolean): Promise<void> {
    try {
      await this.client.apply(object, { fieldManager: this.fieldManager, dryRun });
    } catch (error) {
      if (!(error instanceof KubeApiError) || error.status !== 409) throw error;
      await this.client.apply(object, { fieldManager: this.fieldManager, dryRun });
    }
  }
}

function appSelector(application: string): string {
  return `${LABELS.name}=${application},${LABELS.managedBy}=${MANAGED_BY}`;
}

// 4xx answers are the desired state's fault (OutOfSync with the API's message); the rest is thrown for a retry.
function apiErrorOf(error: unknown, ref: string): { code: string; message: string } {
  if (error instanceof KubeApiError && error.status >= 400 && error.status < 500) {
    return { code: error.reason, message: `${ref}: ${error.message}` };
  }
  throw error;
}

function observedWeights(
  application: string,
  workloads: readonly ObservedWorkload[],
  services: readonly KubeObject[],
  routes: readonly KubeObject[],
): Array<{ slot: TrafficSlot; weight: number }> | null {
  const route = routes.find((r) => r.metadata.name === application);
  if (route) {
    const rules = (route['spec'] as { rules?: Array<{ backendRefs?: Array<{ name: string; weight?: number }> }> } | undefined)?.rules ?? [];
    return (rules[0]?.backendRefs ?? []).flatMap((b) => {
      const slot = b.name.slice(application.length + 1) as TrafficSlot;
      return b.name.startsWith(`${application}-`) ? [{ slot, weight: b.weight ?? 1 }] : [];
    });
  }
  const service = services.find((s) => s.metadata.name === application);
  const selected = (service?.['spec'] as { selector?: Record<string, string> } | undefined)?.selector?.[LABELS.slot] as TrafficSlot | undefined;
  if (selected) {
    return workloads.filter((w) => w.slot !== null).map((w) => ({ slot: w.slot as TrafficSlot, weight: w.slot === selected ? 100 : 0 }));
  }
  const stable = workloads.find((w) => w.slot === 'stable');
  const canary = workloads.find((w) => w.slot === 'canary');
  if (stable && canary) {
    const total = stable.replicas + canary.replicas;
    const weight = total === 0 ? 0 : Math.round((100 * canary.replicas) / total);
    return [
      { slot: 'stable', weight: 100 - weight },
      { slot: 'canary', weight },
    ];
  }
  return null;
}
