import type { DesiredApplication, DesiredWorkload, TrafficSlot } from '@delivery/gitops-runtime';
import { ValidationError } from '@delivery/messaging';
import { canonicalJson, sha256Hex, type Json } from './canonical.hash';

// workload.json (written by deployment-manifest's renderer) → the runtime-neutral DesiredApplication. Everything is
// checked before anything is built, and every problem is reported at once: a manifest that fails here is answered
// OutOfSync with these reasons and the runtime is not touched.

export interface DesiredOptions {
  /** when given, the file must be about this application and environment (a file in the wrong folder is refused) */
  application?: string;
  environment?: string;
  prune?: boolean;
  /** default 600 s, Kubernetes' progressDeadlineSeconds default */
  progressDeadlineSeconds?: number;
  /**
   * The desired state of the revision the other slot is pinned to (or the last one applied). workload.json carries
   * only this release's spec; the other slot of a pair names just its version, so its spec comes from here.
   */
  previous?: DesiredApplication | null;
  /** where an npm package's tarball is (workload.json names only the feed): see npm-feeds.ts */
  npmTarball?: (pkg: { name: string; version: string; feed: string }) => string | undefined;
}
export interface Reason {
  subject: string;
  message: string;
}

export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
const PAIRS = { 'blue-green': ['blue', 'green'], canary: ['stable', 'canary'] } as const;
const NAME = /^[a-z][a-z0-9-]{0,62}$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const PINNED_IMAGE = /^[^\s@]+@(sha256:[0-9a-f]{64})$/;

type Doc = { [key: string]: unknown };
type Spec = Omit<DesiredWorkload, 'specHash'>;

export function desiredFromWorkloadJson(json: string, revision: string, options: DesiredOptions = {}): DesiredApplication {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw invalid(revision, [{ subject: 'workload.json', message: `is not JSON: ${(error as Error).message}` }]);
  }
  if (!isDoc(parsed)) throw invalid(revision, [{ subject: 'workload.json', message: 'must be a JSON object' }]);
  const reasons: Reason[] = [];
  const check = (ok: boolean, subject: string, message: string) => {
    if (!ok) reasons.push({ subject, message });
    return ok;
  };
  const doc = parsed;
  for (const field of ['application', 'environment', 'name'] as const) {
    check(typeof doc[field] === 'string' && NAME.test(doc[field] as string), field, 'must be a slug: lowercase letters, digits and "-", starting with a letter');
  }
  if (options.application !== undefined) check(doc.application === options.application, 'application', `names ${String(doc.application)}, but the file is for ${options.application}`);
  if (options.environment !== undefined) check(doc.environment === options.environment, 'environment', `names ${String(doc.environment)}, but the file is for ${options.environment}`);
  check(typeof doc.version === 'string' && doc.version !== '', 'version', 'must be a non-empty string');
  check(doc.releaseId === null || typeof doc.releaseId === 'string', 'releaseId', 'must be a string or null');
  check(Array.isArray(doc.command) && doc.command.length > 0 && doc.command.every((a) => typeof a === 'string' && a !== ''), 'command', 'must be a non-empty array of non-empty strings (argv, no shell)');
  check(doc.port === null || isInt(doc.port, 1, 65535), 'port', 'must be null or an integer 1–65535');
  if (check(doc.healthPath === null || (typeof doc.healthPath === 'string' && doc.healthPath.startsWith('/')), 'healthPath', 'must be null or a path starting with "/"')) {
    check(doc.healthPath === null || doc.port !== null, 'healthPath', 'is set but port is null: there is nothing to probe it on');
  }
  check(isDoc(doc.env) && Object.entries(doc.env).every(([k, v]) => ENV_KEY.test(k) && typeof v === 'string'), 'env', 'must map variable names to string values');
  check(isInt(doc.replicas, 0, 50), 'replicas', 'must be an integer 0–50');
  const artifact = artifactOf(doc.runtime, reasons, options.npmTarball);
  const kind = isDoc(doc.strategy) ? doc.strategy.kind : undefined;
  if (!check(kind === 'rolling' || kind === 'blue-green' || kind === 'canary', 'strategy.kind', 'must be rolling, blue-green or canary')) throw invalid(revision, reasons);
  const slots = kind === 'rolling' ? checkRolling(doc, reasons) : checkSlots(doc, PAIRS[kind as keyof typeof PAIRS], reasons);
  if (reasons.length > 0 || artifact === undefined) throw invalid(revision, reasons);

  const spec: Spec = {
    name: doc.name as string,
    slot: null,
    version: doc.version as string,
    releaseId: doc.releaseId as string | null,
    command: doc.command as string[],
    port: doc.port as number | null,
    healthPath: doc.healthPath as string | null,
    env: doc.env as Record<string, string>,
    replicas: doc.replicas as number,
    artifact,
  };
  const workloads = slots === null ? [withHash(spec)] : slottedWorkloads(spec, doc.slot as TrafficSlot, slots, options.previous ?? null, revision);
  return {
    environment: doc.environment as string,
    application: doc.application as string,
    revision,
    releaseId: spec.releaseId,
    workloads,
    // an idle slot nothing runs in yet (a first blue-green or canary release: weight 0, no release) is not a route
    weights: (slots ?? []).filter(({ slot }) => workloads.some((w) => w.slot === slot)).map(({ slot, weight }) => ({ slot, weight })),
    prune: options.prune ?? false,
    progressDeadlineSeconds: options.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS,
  };
}

/** sha256 hex of the canonical JSON of the workload without its hash: what spec-mismatch drift compares. */
export function specHashOf(workload: Spec | DesiredWorkload): string {
  const { specHash: _ignored, ...spec } = workload as DesiredWorkload;
  return sha256Hex(canonicalJson(spec as unknown as Json));
}

interface SlotEntry {
  slot: TrafficSlot;
  weight: number;
  replicas: number;
  version: string | null;
  releaseId: string | null;
}

function checkRolling(doc: Doc, reasons: Reason[]): null {
  if (doc.slot !== null) reasons.push({ subject: 'slot', message: 'must be null for a rolling strategy' });
  if (!Array.isArray(doc.slots) || doc.slots.length > 0) reasons.push({ subject: 'slots', message: 'must be empty for a rolling strategy (it shifts no traffic)' });
  return null;
}

function checkSlots(doc: Doc, pair: readonly TrafficSlot[], reasons: Reason[]): SlotEntry[] {
  const before = reasons.length;
  if (!Array.isArray(doc.slots)) {
    reasons.push({ subject: 'slots', message: `must list the slots ${pair.join(' and ')}` });
    return [];
  }
  const entries: SlotEntry[] = [];
  doc.slots.forEach((raw: unknown, i) => {
    const at = `slots[${i}]`;
    if (!isDoc(raw)) return void reasons.push({ subject: at, message: 'must be an object' });
    if (!pair.includes(raw.slot as TrafficSlot)) reasons.push({ subject: `${at}.slot`, message: `must be one of ${pair.join(', ')}` });
    if (!isInt(raw.weight, 0, 100)) reasons.push({ subject: `${at}.weight`, message: 'must be an integer 0–100' });
    if (!isInt(raw.replicas, 0, 50)) reasons.push({ subject: `${at}.replicas`, message: 'must be an integer 0–50' });
    if (raw.version !== null && (typeof raw.version !== 'string' || raw.version === '')) reasons.push({ subject: `${at}.version`, message: 'must be a version or null' });
    if (raw.releaseId !== null && typeof raw.releaseId !== 'string') reasons.push({ subject: `${at}.releaseId`, message: 'must be a string or null' });
    entries.push({ slot: raw.slot as TrafficSlot, weight: raw.weight as number, replicas: raw.replicas as number, version: raw.version as string | null, releaseId: raw.releaseId as string | null });
  });
  if (reasons.length > before) return entries;
  const names = entries.map((e) => e.slot);
  if (names.length !== pair.length || new Set(names).size !== names.length) {
    reasons.push({ subject: 'slots', message: `must name each of ${pair.join(' and ')} exactly once, not ${names.join(', ') || 'none'}` });
    return entries;
  }
  const sum = entries.reduce((total, e) => total + e.weight, 0);
  if (sum !== 100) reasons.push({ subject: 'slots', message: `weights sum to ${sum}; they must add up to 100` });
  const target = entries.find((e) => e.slot === doc.slot);
  if (!target) reasons.push({ subject: 'slot', message: `must name the slot this release goes to, one of ${names.join(', ')}` });
  else if (target.version !== doc.version) reasons.push({ subject: 'slot', message: `slot ${target.slot} runs ${String(target.version)}, but this release is ${String(doc.version)}` });
  return entries;
}

function artifactOf(runtime: unknown, reasons: Reason[], npmTarball: DesiredOptions['npmTarball']): DesiredWorkload['artifact'] | undefined {
  if (isDoc(runtime) && runtime.kind === 'image') {
    const match = typeof runtime.image === 'string' ? PINNED_IMAGE.exec(runtime.image) : null;
    if (match) return { kind: 'image', reference: runtime.image as string, digest: match[1] as string };
    reasons.push({ subject: 'runtime.image', message: 'must be an image pinned by digest: <registry>/<repository>@sha256:<64 hex>' });
    return undefined;
  }
  if (isDoc(runtime) && runtime.kind === 'npm-package') {
    const pkg = runtime.package;
    if (isDoc(pkg) && typeof pkg.name === 'string' && pkg.name !== '' && typeof pkg.version === 'string' && pkg.version !== '' && isDoc(pkg.feed) && typeof pkg.feed.name === 'string' && pkg.feed.name !== '') {
      const ref = { name: pkg.name, version: pkg.version, feed: pkg.feed.name };
      const tarball = npmTarball?.(ref);
      return { kind: 'npm-package', ...ref, ...(tarball !== undefined ? { tarball } : {}) };
    }
    reasons.push({ subject: 'runtime.package', message: 'must name the npm package: name, version and feed.name' });
    return undefined;
  }
  reasons.push({ subject: 'runtime.kind', message: 'must be image or npm-package' });
  return undefined;
}

// The target slot runs this release; the other slot runs this release too (a promoted canary scaled down), or the
// release it is pinned to, whose spec comes from `previous`. A slot nobody can describe is left out when it takes
// no traffic (the runtime keeps what runs there) and refused when it does.
function slottedWorkloads(spec: Spec, target: TrafficSlot, slots: SlotEntry[], previous: DesiredApplication | null, revision: string): DesiredWorkload[] {
  const workloads: DesiredWorkload[] = [];
  for (const entry of slots) {
    const named = { name: `${spec.name}-${entry.slot}`, slot: entry.slot, replicas: entry.replicas };
    if (entry.slot === target || entry.version === spec.version) {
      workloads.push(withHash({ ...spec, ...named, releaseId: entry.releaseId ?? spec.releaseId }));
      continue;
    }
    // same slot first; else the named version wherever it ran (a promoted canary's release moves to the stable
    // slot); a slot that only "keeps what runs" takes the pinned revision's own release, but never from the target
    // slot, which is being replaced (a first blue-green release re-synced would otherwise start its own spec in the
    // idle slot too)
    const known = previous?.workloads ?? [];
    const prior =
      known.find((w) => w.slot === entry.slot && (entry.version === null || w.version === entry.version)) ??
      (entry.version === null ? known.find((w) => w.slot !== target && w.releaseId === previous?.releaseId) : known.find((w) => w.version === entry.version));
    if (prior) {
      workloads.push(withHash({ ...prior, ...named, releaseId: entry.releaseId ?? prior.releaseId }));
    } else if (entry.weight > 0) {
      throw new ValidationError('gitops.slot-unresolved', `slot ${entry.slot} takes ${entry.weight}% of traffic at ${revision} but runs ${entry.version ?? 'an earlier release'} whose spec is unknown: pass the desired state of the revision it is pinned to as previous`, {
        reasons: [{ subject: `slots.${entry.slot}`, message: 'no spec for the release this slot keeps' }],
      });
    }
  }
  return workloads;
}

function withHash(spec: Spec | DesiredWorkload): DesiredWorkload {
  const { specHash: _old, ...rest } = spec as DesiredWorkload;
  return { ...rest, specHash: specHashOf(rest) };
}

function invalid(revision: string, reasons: Reason[]): ValidationError {
  const [first] = reasons;
  const more = reasons.length > 1 ? ` (and ${reasons.length - 1} more)` : '';
  return new ValidationError('gitops.invalid-workload', `workload.json at ${revision.slice(0, 12)} is invalid: ${first?.subject} ${first?.message}${more}`, { reasons });
}

function isDoc(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isInt(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}
