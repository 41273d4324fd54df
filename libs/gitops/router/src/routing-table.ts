import type { TrafficSlot } from '@delivery/gitops-runtime';

// The routing table of one environment: immutable (deep-frozen) so a router can swap it with one reference
// assignment and in-flight requests keep reading the table they started with.

export const TRAFFIC_SLOTS: readonly TrafficSlot[] = ['stable', 'canary', 'blue', 'green'];

// Which slot takes the LOW buckets: a bucket stays with the slot that owns it while that slot's weight grows, so
// raising a canary (or green) only moves users toward it, never back.
const BUCKET_ORDER: readonly TrafficSlot[] = ['canary', 'green', 'blue', 'stable'];

export interface SlotRoute {
  slot: TrafficSlot;
  /** the git sha of the release running in the slot (counters are keyed by it) */
  revision: string;
  weight: number;
  /** ready backends only, `host:port`; an empty list takes no traffic */
  backends: string[];
}

export interface ApplicationRoute {
  application: string;
  slots: SlotRoute[];
  /** blue-green: the idle slot that preview requests reach; null without a preview route */
  preview: TrafficSlot | null;
}

export interface RoutingTableInput {
  environment: string;
  applications: Array<{ application: string; slots: SlotRoute[]; preview?: TrafficSlot | null }>;
}

export interface RoutingTable {
  readonly environment: string;
  readonly applications: readonly Readonly<ApplicationRoute>[];
}

export class RoutingTableError extends Error {
  readonly code = 'INVALID_ROUTING_TABLE';
  constructor(message: string) {
    super(message);
    this.name = 'RoutingTableError';
  }
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const SHA = /^[0-9a-f]{40}$/;
const BACKEND = /^[A-Za-z0-9.-]+:(\d{1,5})$|^\[[0-9a-fA-F:]+\]:(\d{1,5})$/;

/** Validates and deep-freezes a table; throws RoutingTableError on the first problem. */
export function createRoutingTable(input: RoutingTableInput): RoutingTable {
  if (typeof input !== 'object' || input === null) throw new RoutingTableError('table must be an object');
  if (typeof input.environment !== 'string' || !LABEL.test(input.environment)) {
    throw new RoutingTableError(`environment "${String(input.environment)}" must be a DNS label`);
  }
  if (!Array.isArray(input.applications)) throw new RoutingTableError('applications must be an array');
  const seen = new Set<string>();
  const applications = input.applications.map((app) => {
    const name = app?.application;
    if (typeof name !== 'string' || !LABEL.test(name) || name === 'preview' || name === '_router') {
      throw new RoutingTableError(`application "${String(name)}" must be a DNS label (not "preview" or "_router")`);
    }
    if (seen.has(name)) throw new RoutingTableError(`application "${name}" appears twice`);
    seen.add(name);
    const slots = validateSlots(name, app.slots);
    const preview = app.preview ?? null;
    if (preview !== null && !slots.some((s) => s.slot === preview)) {
      throw new RoutingTableError(`${name}: preview slot "${String(preview)}" is not one of its slots`);
    }
    return Object.freeze({ application: name, slots: Object.freeze(slots) as SlotRoute[], preview });
  });
  return Object.freeze({ environment: input.environment, applications: Object.freeze(applications) });
}

function validateSlots(app: string, slots: unknown): SlotRoute[] {
  if (!Array.isArray(slots) || slots.length === 0) throw new RoutingTableError(`${app}: slots must be a non-empty array`);
  const names = new Set<string>();
  let sum = 0;
  const result = (slots as SlotRoute[]).map((s) => {
    if (!TRAFFIC_SLOTS.includes(s?.slot)) throw new RoutingTableError(`${app}: unknown slot "${String(s?.slot)}"`);
    if (names.has(s.slot)) throw new RoutingTableError(`${app}: slot "${s.slot}" appears twice`);
    names.add(s.slot);
    if (!Number.isInteger(s.weight) || s.weight < 0 || s.weight > 100) {
      throw new RoutingTableError(`${app}/${s.slot}: weight must be an integer 0..100`);
    }
    sum += s.weight;
    if (typeof s.revision !== 'string' || !SHA.test(s.revision)) {
      throw new RoutingTableError(`${app}/${s.slot}: revision must be a 40-hex git sha`);
    }
    if (!Array.isArray(s.backends)) throw new RoutingTableError(`${app}/${s.slot}: backends must be an array`);
    for (const b of s.backends) {
      const m = typeof b === 'string' ? BACKEND.exec(b) : null;
      const port = Number(m?.[1] ?? m?.[2]);
      if (!m || port < 1 || port > 65535) throw new RoutingTableError(`${app}/${s.slot}: backend "${String(b)}" is not host:port`);
    }
    return Object.freeze({ slot: s.slot, revision: s.revision, weight: s.weight, backends: Object.freeze([...s.backends]) as string[] });
  });
  if (sum !== 100) throw new RoutingTableError(`${app}: slot weights sum to ${sum}, not 100`);
  return result;
}

/**
 * The slot each of the 100 buckets goes to, after readiness gating: buckets are laid out by BUCKET_ORDER; a slot
 * without ready backends hands its buckets to the ready slot with the most weight (or any ready slot); null when
 * no slot has a backend.
 */
export function bucketAssignment(slots: readonly SlotRoute[]): Array<SlotRoute | null> {
  const ordered = BUCKET_ORDER.map((name) => slots.find((s) => s.slot === name)).filter((s): s is SlotRoute => s !== undefined);
  const ready = ordered.filter((s) => s.backends.length > 0);
  const fallback = ready.reduce<SlotRoute | null>((best, s) => (best === null || s.weight > best.weight ? s : best), null);
  const buckets: Array<SlotRoute | null> = [];
  for (const s of ordered) {
    const target = s.backends.length > 0 ? s : fallback;
    for (let i = 0; i < s.weight; i++) buckets.push(target);
  }
  return buckets;
}

/** The effective weight each slot gets after readiness gating (what the router really sends). */
export function effectiveWeights(slots: readonly SlotRoute[]): Array<{ slot: TrafficSlot; weight: number }> {
  const buckets = bucketAssignment(slots);
  return slots.map((s) => ({ slot: s.slot, weight: buckets.filter((b) => b === s).length }));
}
