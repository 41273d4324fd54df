import type { schemas } from '@delivery/contracts';
import type { RenderedFile } from '../domain/manifest.renderer';

// What a commit must change so that the GitOps directory holds exactly the rendered manifests. Only the files the
// renderer names are ever deleted: anything else in the directory (a kustomization, a README) is someone else's.
const RENDERER_FILE = /^(?:workload\.json|httproute\.yaml|(?:deployment|service)(?:-(?:blue|green|stable|canary))?\.yaml)$/;

/** the directory a gitops path names, "" for the repository root (the renderer's reading of the path) */
export function directoryOf(path: string): string {
  const base = path.replace(/\/+$/, '');
  return base === '.' ? '' : base;
}

/**
 * Files of the directory the render no longer produces (a strategy or port that changed), except the Deployment
 * of a slot the render left alone: without the previous release the renderer keeps whatever runs there.
 */
export function staleFiles(directory: string, existing: readonly string[], rendered: readonly RenderedFile[]): string[] {
  const produced = new Set(rendered.map((file) => file.path));
  const kept = new Set(slotsLeftAlone(rendered).map((slot) => `deployment-${slot}.yaml`));
  const prefix = directory === '' ? '' : `${directory}/`;
  return existing.filter((path) => {
    if (!path.startsWith(prefix) || produced.has(path)) return false;
    const name = path.slice(prefix.length);
    return RENDERER_FILE.test(name) && !kept.has(name);
  });
}

/** add / update for every rendered file whose bytes differ from the base, delete for the stale ones */
export function changesOf(rendered: readonly RenderedFile[], current: ReadonlyMap<string, Buffer>, stale: readonly string[]): schemas.FileChange[] {
  const changes: schemas.FileChange[] = [];
  for (const file of rendered) {
    const bytes = current.get(file.path);
    if (bytes === undefined) changes.push({ action: 'add', path: file.path, content: file.content });
    else if (!bytes.equals(Buffer.from(file.content, 'utf8'))) changes.push({ action: 'update', path: file.path, content: file.content });
  }
  for (const path of stale) changes.push({ action: 'delete', path });
  return changes;
}

// workload.json names the slots whose release the renderer did not know (releaseId null)
function slotsLeftAlone(rendered: readonly RenderedFile[]): string[] {
  const workload = rendered.find((file) => file.path === 'workload.json' || file.path.endsWith('/workload.json'));
  if (!workload) return [];
  const slots = (JSON.parse(workload.content) as { slots?: Array<{ slot: string; releaseId: string | null }> }).slots ?? [];
  return slots.filter((slot) => slot.releaseId === null).map((slot) => slot.slot);
}
