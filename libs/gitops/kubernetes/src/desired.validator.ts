import type { DesiredApplication } from '@delivery/gitops-runtime';

// Refuses a desired state the cluster could never run, before anything is applied (the port's contract).
// Names become object names and label values: DNS-1123 labels, short enough for "<app>-canary" and the inventory.

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_APP = 63 - 'delivery-inventory-'.length;

export function validateDesired(desired: DesiredApplication): string | undefined {
  if (!DNS_LABEL.test(desired.environment) || desired.environment.length > 63) return `environment "${desired.environment}" is not a DNS-1123 label`;
  if (!DNS_LABEL.test(desired.application) || desired.application.length > MAX_APP) {
    return `application "${desired.application}" is not a DNS-1123 label of at most ${MAX_APP} characters`;
  }
  const names = new Set<string>();
  for (const w of desired.workloads) {
    if (!DNS_LABEL.test(w.name) || w.name.length > 63) return `workload "${w.name}" is not a DNS-1123 label`;
    if (names.has(w.name)) return `workload "${w.name}" appears twice`;
    names.add(w.name);
    if (w.artifact.kind !== 'image') return `workload "${w.name}" runs an npm package: Kubernetes runs images only`;
    if (!Number.isInteger(w.replicas) || w.replicas < 0) return `workload "${w.name}" has invalid replicas ${w.replicas}`;
  }
  const slots = desired.workloads.map((w) => w.slot);
  if (new Set(slots).size !== slots.length) return 'two workloads share a slot';
  if (desired.weights.length > 0) {
    const sum = desired.weights.reduce((total, w) => total + w.weight, 0);
    if (sum !== 100) return `traffic weights sum to ${sum}, not 100`;
    for (const w of desired.weights) if (!slots.includes(w.slot)) return `traffic weight names slot "${w.slot}" that no workload runs`;
  }
  return undefined;
}
