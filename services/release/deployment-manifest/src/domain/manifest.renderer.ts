import { createHash } from 'node:crypto';
import type { PayloadOf, schemas } from '@delivery/contracts';
import { ValidationError } from '@delivery/messaging';
import { deploymentObject, httpRouteObject, serviceObject, type PodSpecInput } from './manifest.kubernetes';
import { canonicalJson, toYaml, type JsonValue, type YamlMap } from './yaml.writer';

// Renders the desired state of one application in one environment (issue 4): Kubernetes YAML for server-side
// apply and workload.json for the local process runtime (DESIGN §5). Pure and deterministic: same input, same
// bytes, so a re-render of an unchanged release commits nothing. Committing (with lineage trailers) is the
// caller's job; this module only decides the files.

export type RenderManifestInput = PayloadOf<'RenderManifest'>;
export type Slot = schemas.TrafficWeight['slot'];
/** The release that keeps running in the other slot of a blue-green or canary pair (from its workload.json). */
export type PreviousRelease = Pick<RenderManifestInput, 'releaseId' | 'version' | 'artifacts' | 'workload'>;
/** The Gateway a canary's HTTPRoute attaches to; without one a canary splits traffic by replica ratio. */
export interface GatewayParent {
  name: string;
  namespace?: string;
  sectionName?: string;
}
export interface RenderOptions {
  namespace?: string;
  gateway?: GatewayParent;
  previous?: PreviousRelease;
}
export interface RenderedFile {
  path: string;
  content: string;
  /** sha256:<hex> of the UTF-8 bytes of content */
  digest: string;
}
export interface RenderedManifests {
  files: RenderedFile[];
  contentDigest: string;
}

const PAIRS = { 'blue-green': ['blue', 'green'], canary: ['stable', 'canary'] } as const;
// Kubernetes label values and DNS-1123 labels (Service names, namespaces)
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

interface SlotPlan {
  slot: Slot;
  weight: number;
  revision?: string;
  replicas: number;
  /** what runs in the slot; undefined when the renderer has no spec for it and leaves its file alone */
  release?: PreviousRelease;
}
interface Plan {
  /** the slot this release goes to; null for rolling */
  target: Slot | null;
  slots: SlotPlan[];
}

export function renderManifests(input: RenderManifestInput, options: RenderOptions = {}): RenderedManifests {
  validateOptions(options);
  validateRelease(input, 'the release', input.strategy.kind !== 'rolling');
  const runtime = runtimeOf(input);
  const plan = planSlots(input, options);
  const files = new Map<string, string>([['workload.json', workloadJson(input, runtime, plan)]]);
  // Kubernetes runs images only: a package-only release is for the local runtime alone
  if (runtime.kind === 'image') {
    for (const [name, object] of kubernetesObjects(input, options, plan)) files.set(name, toYaml(object));
  }
  const base = input.gitops.path.replace(/\/+$/, '');
  const rendered = [...files].map(([name, content]) => {
    const path = base === '' || base === '.' ? name : `${base}/${name}`;
    return { path, content, digest: `sha256:${sha256Hex(content)}` };
  });
  rendered.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  return { files: rendered, contentDigest: contentDigestOf(rendered) };
}

/**
 * contentDigest = sha256 over one line "<hex>  <path>\n" per file (hex of the file's own sha256), files in
 * byte order of path: exactly what `sha256sum` prints, so `sha256sum <paths in C-locale order> | sha256sum` in a
 * checkout reproduces it.
 */
export function contentDigestOf(files: ReadonlyArray<{ path: string; digest: string }>): string {
  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  return `sha256:${sha256Hex(sorted.map((f) => `${f.digest.replace(/^sha256:/, '')}  ${f.path}\n`).join(''))}`;
}

/** The label-safe form of a version: "+" (build metadata) is not allowed in a label value, Helm's "_" stands in. */
export function revisionLabelOf(version: string): string {
  return version.replace(/\+/g, '_');
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function invalid(reason: string, message: string, details?: Record<string, unknown>): ValidationError {
  return new ValidationError(`manifest.${reason}`, message, details);
}

function validateOptions(options: RenderOptions): void {
  if (options.namespace !== undefined && !DNS_LABEL.test(options.namespace)) {
    throw invalid('namespace', `namespace "${options.namespace}" is not a DNS label: use at most 63 lowercase letters, digits and "-"`);
  }
  const gateway = options.gateway;
  if (gateway && (!DNS_LABEL.test(gateway.name) || (gateway.namespace !== undefined && !DNS_LABEL.test(gateway.namespace)))) {
    throw invalid('gateway', `gateway ${gateway.namespace === undefined ? '' : `${gateway.namespace}/`}${gateway.name} is not a DNS label name: name the Gateway as Kubernetes does`);
  }
}

function validateRelease(release: PreviousRelease & { environment?: string; application?: string }, which: string, slotted: boolean): void {
  const { workload } = release;
  if (workload.healthPath !== undefined && workload.port === undefined) {
    throw invalid('health-path-without-port', `${which} has healthPath ${workload.healthPath} but no port to probe it on: set workload.port or drop healthPath`);
  }
  // Service names are DNS labels, and a slot's Service gets a suffix ("-stable" is the longest)
  const maxName = slotted ? 63 - '-stable'.length : 63;
  if (!DNS_LABEL.test(workload.name) || workload.name.length > maxName) {
    throw invalid('name', `workload name "${workload.name}" must end in a letter or digit and be at most ${maxName} characters to name a Service`);
  }
  const labels: Array<[string, string]> = [
    ['version', revisionLabelOf(release.version)],
    ['releaseId', release.releaseId],
    ...(release.environment === undefined ? [] : [['environment', release.environment] as [string, string]]),
    ...(release.application === undefined ? [] : [['application', release.application] as [string, string]]),
  ];
  for (const [field, value] of labels) {
    if (!LABEL_VALUE.test(value)) {
      throw invalid('label-value', `${which}'s ${field} "${value}" cannot be a Kubernetes label value: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit`, { field });
    }
  }
  const { images, packages } = release.artifacts;
  if (images.length === 0 && packages.length === 0) throw invalid('no-artifacts', `${which} has neither an image nor a package to run: add artifacts`);
  if (images.length === 0 && packages[0]?.format !== 'npm') {
    throw invalid('package-not-runnable', `${which} has no image and its first package ${packages[0]?.name} is not an npm package the local runtime can run with node: add an image or put an npm package first`);
  }
}

type Runtime = { kind: 'image'; image: string } | { kind: 'npm-package'; package: schemas.PackageRef };

// The first image, pinned by digest so a moved tag cannot change what runs; else the first (npm) package.
function runtimeOf(release: PreviousRelease): Runtime {
  const image = release.artifacts.images[0];
  if (image) return { kind: 'image', image: `${image.registry}/${image.repository}@${image.digest}` };
  const pkg = release.artifacts.packages[0];
  if (!pkg) throw invalid('no-artifacts', 'the release has neither an image nor a package to run: add artifacts');
  return { kind: 'npm-package', package: pkg };
}

// Which slot this release goes to and what each slot of the pair gets. A weight with a revision pins its slot to
// the release already running there; the one slot without a revision is this release's. No weights: all traffic
// to the first slot of the pair (blue, stable), which is where the very first release lands.
function planSlots(input: RenderManifestInput, options: RenderOptions): Plan {
  const strategy = input.strategy;
  const given = input.trafficWeights ?? [];
  if (strategy.kind === 'rolling') {
    if (given.length > 0) throw invalid('weights-not-supported', 'a rolling strategy shifts no traffic: remove trafficWeights, or use a canary or blue-green strategy');
    if (strategy.maxSurgePercent === 0 && strategy.maxUnavailablePercent === 0) {
      throw invalid('rolling-stalled', 'maxSurgePercent and maxUnavailablePercent are both 0, so a rolling update could never replace a pod: raise one of them');
    }
    return { target: null, slots: [] };
  }
  const pair: readonly Slot[] = PAIRS[strategy.kind];
  const weights = given.length > 0 ? given : [{ slot: pair[0] as Slot, weight: 100 }];
  const foreign = weights.find((w) => !pair.includes(w.slot));
  if (foreign) throw invalid('weights-slot', `a ${strategy.kind} strategy has slots ${pair.join(' and ')}, but trafficWeights names ${foreign.slot}: use ${pair.join('/')}`);
  const seen = new Set<Slot>();
  for (const w of weights) {
    if (seen.has(w.slot)) throw invalid('weights-duplicate-slot', `trafficWeights names slot ${w.slot} twice: give each slot one weight`);
    seen.add(w.slot);
  }
  const sum = weights.reduce((total, w) => total + w.weight, 0);
  if (sum !== 100) throw invalid('weights-sum', `trafficWeights sum to ${sum}: the weights of ${pair.join(' and ')} must add up to 100`);
  if (strategy.kind === 'blue-green' && weights.some((w) => w.weight !== 0 && w.weight !== 100)) {
    throw invalid('blue-green-split', 'blue-green switches all traffic at once: give one slot weight 100 and the other 0 (a split is a canary)');
  }
  const unpinned = weights.filter((w) => w.revision === undefined);
  if (unpinned.length !== 1 || !unpinned[0]) {
    throw invalid('target-slot', `${unpinned.length} slots of trafficWeights have no revision: leave exactly one unpinned (the slot this release goes to) and set revision on the slot that keeps its release`);
  }
  const target = unpinned[0].slot;
  const weightOf = (slot: Slot) => weights.find((w) => w.slot === slot);
  const replicas = input.workload.replicas;
  const [first, second] = pair as readonly [Slot, Slot];
  const other = target === first ? second : first;
  const canaryWeight = weightOf('canary')?.weight ?? 0;
  const split = strategy.kind === 'canary' ? canaryReplicas(replicas, canaryWeight, options.gateway !== undefined) : undefined;
  // the other slot: blue-green keeps the previous release warm for a fast switch back and a canary's stable slot
  // runs it. Once a canary is promoted to stable, the canary slot scales to zero with this release's template.
  // Without a previous release the other slot's file is not rendered, so the one in Git stays as it is.
  const otherRelease = strategy.kind === 'canary' && target === 'stable' && canaryWeight === 0 ? input : options.previous;
  if (options.previous && otherRelease === options.previous) validatePrevious(input, options.previous);
  const slots = pair.map((slot): SlotPlan => {
    const w = weightOf(slot);
    return {
      slot,
      weight: w?.weight ?? 0,
      ...(w?.revision === undefined ? {} : { revision: w.revision }),
      replicas: split ? split[slot as 'stable' | 'canary'] : replicas,
      ...(slot === target ? { release: input } : slot === other && otherRelease ? { release: otherRelease } : {}),
    };
  });
  return { target, slots };
}

function validatePrevious(input: RenderManifestInput, previous: PreviousRelease): void {
  validateRelease(previous, 'the previous release', true);
  if (previous.workload.name !== input.workload.name) {
    throw invalid('previous-mismatch', `the previous release runs workload ${previous.workload.name}, this one ${input.workload.name}: the slots of a pair share one name`);
  }
  if (input.artifacts.images.length > 0 && previous.artifacts.images.length === 0) {
    throw invalid('previous-not-runnable', 'the previous release has no image for its Kubernetes slot: pass the previous release that was deployed from an image');
  }
}

// Replica ratio: round(replicas × weight) canaries, the rest stable; every slot that takes traffic needs a pod.
// With a Gateway the HTTPRoute splits exactly and a slot may get one pod more than its share instead.
function canaryReplicas(total: number, canaryWeight: number, routed: boolean): { stable: number; canary: number } {
  if (total === 0) return { stable: 0, canary: 0 };
  const canary = canaryWeight === 0 ? 0 : Math.min(total, Math.max(1, Math.round((total * canaryWeight) / 100)));
  const stable = total - canary;
  if (canaryWeight === 100 || stable > 0) return { stable, canary };
  if (routed) return { stable: 1, canary };
  throw invalid('canary-replicas', `${total} replica(s) cannot split ${canaryWeight}% canary / ${100 - canaryWeight}% stable by replica ratio: raise workload.replicas or route with a Gateway (HTTPRoute)`);
}

function podSpecOf(release: PreviousRelease): PodSpecInput {
  const runtime = runtimeOf(release);
  if (runtime.kind !== 'image') throw invalid('previous-not-runnable', 'a Kubernetes slot needs an image');
  return { ...release.workload, image: runtime.image, version: revisionLabelOf(release.version), releaseId: release.releaseId };
}

function kubernetesObjects(input: RenderManifestInput, options: RenderOptions, plan: Plan): Array<[string, YamlMap]> {
  const common = { name: input.workload.name, application: input.application, environment: input.environment, namespace: options.namespace };
  const release = podSpecOf(input);
  const port = input.workload.port;
  if (plan.target === null) {
    const rolling = input.strategy.kind === 'rolling' ? input.strategy : undefined;
    const objects: Array<[string, YamlMap]> = [['deployment.yaml', deploymentObject(common, release, input.workload.replicas, null, rolling)]];
    if (port !== undefined) objects.push(['service.yaml', serviceObject(common, release, port, null, null)]);
    return objects;
  }
  const objects: Array<[string, YamlMap]> = [];
  for (const slot of plan.slots) {
    if (slot.release) objects.push([`deployment-${slot.slot}.yaml`, deploymentObject(common, podSpecOf(slot.release), slot.replicas, slot.slot, undefined)]);
  }
  if (port === undefined) return objects;
  // the main Service: blue-green selects the active slot (the switch); a canary selects both (replica ratio)
  const active = input.strategy.kind === 'blue-green' ? (plan.slots.find((s) => s.weight === 100)?.slot ?? plan.target) : null;
  objects.push(['service.yaml', serviceObject(common, release, port, active, null)]);
  // one Service per slot, for the health gates to probe a slot and for HTTPRoute backends
  for (const slot of plan.slots) objects.push([`service-${slot.slot}.yaml`, serviceObject(common, release, port, slot.slot, slot.slot)]);
  if (input.strategy.kind === 'canary' && options.gateway) {
    objects.push(['httproute.yaml', httpRouteObject(common, release, port, options.gateway, plan.slots)]);
  }
  return objects;
}

function workloadJson(input: RenderManifestInput, runtime: Runtime, plan: Plan): string {
  const { workload } = input;
  const document: JsonValue = {
    application: input.application,
    environment: input.environment,
    version: input.version,
    releaseId: input.releaseId,
    revisionLabel: revisionLabelOf(input.version),
    name: workload.name,
    command: workload.command,
    port: workload.port ?? null,
    healthPath: workload.healthPath ?? null,
    env: workload.env ?? {},
    replicas: workload.replicas,
    strategy: input.strategy,
    // for the local runtime's weighted router; releaseId null: the slot keeps whatever already runs there
    slot: plan.target,
    slots: plan.slots.map((s) => ({
      slot: s.slot,
      weight: s.weight,
      replicas: s.replicas,
      revision: s.revision ?? null,
      releaseId: s.release?.releaseId ?? null,
      version: s.release?.version ?? null,
    })),
    artifacts: { images: input.artifacts.images, packages: input.artifacts.packages },
    runtime:
      runtime.kind === 'image'
        ? { kind: 'image', image: runtime.image }
        : {
            kind: 'npm-package',
            package: runtime.package,
            note: `no container image: the local runtime installs ${runtime.package.name}@${runtime.package.version} from feed ${runtime.package.feed.name} and runs command with the machine's node`,
          },
  };
  return canonicalJson(document);
}
