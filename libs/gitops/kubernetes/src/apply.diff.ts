import { ANNOTATIONS, refOf, type KubeObject } from './kube.objects';

// The dry-run diff: what an apply would do, decided by the applied-hash annotation alone (SSA defaults and other
// managers' fields never make an object look changed). Pure; the adapter also sends the changes with dryRun=All.

export type ChangeAction = 'create' | 'update' | 'delete' | 'no-op';

export interface Change {
  action: ChangeAction;
  /** `Kind/name` */
  ref: string;
  kind: string;
  name: string;
  /** the desired object (create/update/no-op) or the live one (delete) */
  object: KubeObject;
}

export interface DiffOptions {
  /** delete live objects that the desired set no longer names */
  prune: boolean;
}

/**
 * desired: every object the application should have; live: what exists and belongs to it (found by label or listed
 * in the inventory). Live objects absent from desired are deleted only with prune.
 */
export function diff(desired: readonly KubeObject[], live: readonly KubeObject[], options: DiffOptions = { prune: false }): Change[] {
  const liveByRef = new Map(live.map((o) => [refOf(o), o]));
  const desiredRefs = new Set(desired.map(refOf));
  const changes: Change[] = desired.map((object) => {
    const current = liveByRef.get(refOf(object));
    const action: ChangeAction = !current ? 'create' : appliedHash(current) === appliedHash(object) ? 'no-op' : 'update';
    return { action, ref: refOf(object), kind: object.kind, name: object.metadata.name, object };
  });
  if (options.prune) {
    for (const object of live) {
      if (!desiredRefs.has(refOf(object))) changes.push({ action: 'delete', ref: refOf(object), kind: object.kind, name: object.metadata.name, object });
    }
  }
  return changes;
}

/** Prune candidates: what the inventory lists plus what carries the application's labels, each once. */
export function pruneCandidates(inventory: readonly string[], labelled: readonly KubeObject[]): string[] {
  return [...new Set([...inventory, ...labelled.map(refOf)])].sort();
}

function appliedHash(object: KubeObject): string | undefined {
  return object.metadata.annotations?.[ANNOTATIONS.appliedHash];
}
