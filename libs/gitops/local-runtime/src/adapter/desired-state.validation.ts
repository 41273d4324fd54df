import type { DesiredApplication, TrafficSlot } from '@delivery/gitops-runtime';

// Pure checks of a desired state before the local runtime starts anything. The router needs DNS labels and a
// 40-hex revision; the supervisor needs file-name-safe names, so the prefixed name is checked too.

export const INVALID_DESIRED_STATE = 'runtime.invalid-desired-state';
export const ARTIFACT_UNAVAILABLE = 'runtime.artifact-unavailable';
export const APPLY_FAILED = 'runtime.apply-failed';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const WORKLOAD = /^[A-Za-z0-9][A-Za-z0-9._-]{0,60}$/;
const SHA = /^[0-9a-f]{40}$/;
const SLOTS: readonly TrafficSlot[] = ['stable', 'canary', 'blue', 'green'];

/** The supervisor's names are per environment: workloads are namespaced per application. */
export const supervisedName = (application: string, workload: string): string => `${application}--${workload}`;

/** A workload without a slot is the application's only routed workload: it takes the stable slot. */
export const routedSlot = (slot: TrafficSlot | null): TrafficSlot => slot ?? 'stable';

/** Problems found (empty: valid). */
export function validateDesired(desired: DesiredApplication): string[] {
  const problems: string[] = [];
  if (typeof desired.environment !== 'string' || !LABEL.test(desired.environment)) problems.push(`environment "${String(desired.environment)}" must be a DNS label`);
  if (typeof desired.application !== 'string' || !LABEL.test(desired.application) || desired.application === 'preview' || desired.application === '_router') {
    problems.push(`application "${String(desired.application)}" must be a DNS label (not "preview" or "_router")`);
  } else if (desired.application.includes('--')) problems.push(`application "${desired.application}" must not contain "--" (the workload prefix separator)`);
  if (typeof desired.revision !== 'string' || !SHA.test(desired.revision)) problems.push(`revision "${String(desired.revision)}" must be a 40-hex git sha`);
  if (!Array.isArray(desired.workloads)) return [...problems, 'workloads must be an array'];

  const names = new Set<string>();
  const slots = new Set<TrafficSlot>();
  for (const w of desired.workloads) {
    const label = `workload "${String(w?.name)}"`;
    if (typeof w?.name !== 'string' || !WORKLOAD.test(w.name)) problems.push(`${label}: name must match ${WORKLOAD.source}`);
    else if (names.has(w.name)) problems.push(`${label}: appears twice`);
    else names.add(w.name);
    if (w.slot !== null && !SLOTS.includes(w.slot)) problems.push(`${label}: unknown slot "${String(w.slot)}"`);
    const slot = routedSlot(w.slot);
    if (slots.has(slot)) problems.push(`${label}: slot "${slot}" is taken by another workload (a workload without slot takes "stable")`);
    slots.add(slot);
    if (!Array.isArray(w.command) || w.command.length === 0 || w.command.some((a) => typeof a !== 'string') || w.command[0] === '') problems.push(`${label}: command must be a non-empty argv`);
    if (!Number.isInteger(w.replicas) || w.replicas < 0) problems.push(`${label}: replicas must be an integer >= 0`);
    if (w.healthPath !== null && (typeof w.healthPath !== 'string' || !w.healthPath.startsWith('/'))) problems.push(`${label}: healthPath must start with "/"`);
    if (typeof w.specHash !== 'string' || w.specHash.length < 12) problems.push(`${label}: specHash missing`);
    if (w.artifact?.kind !== 'npm-package' && w.artifact?.kind !== 'image') problems.push(`${label}: unknown artifact kind`);
  }

  if (!Array.isArray(desired.weights)) return [...problems, 'weights must be an array'];
  if (desired.weights.length === 0) {
    if (slots.size > 1) problems.push(`weights are empty but the workloads use ${slots.size} slots: say how traffic is split`);
  } else {
    let sum = 0;
    const seen = new Set<TrafficSlot>();
    for (const { slot, weight } of desired.weights) {
      if (!SLOTS.includes(slot)) problems.push(`weights: unknown slot "${String(slot)}"`);
      else if (seen.has(slot)) problems.push(`weights: slot "${slot}" appears twice`);
      else if (!slots.has(slot)) problems.push(`weights: slot "${slot}" has no workload`);
      seen.add(slot);
      if (!Number.isInteger(weight) || weight < 0 || weight > 100) problems.push(`weights: ${String(slot)} weight must be an integer 0..100`);
      sum += Number(weight);
    }
    if (sum !== 100) problems.push(`weights sum to ${sum}, not 100`);
  }
  return problems;
}
