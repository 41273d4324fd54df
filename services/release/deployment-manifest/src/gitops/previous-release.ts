import { validatePayload } from '@delivery/contracts';
import type { PreviousRelease, RenderManifestInput } from '../domain/manifest.renderer';

/**
 * The release another render left in the directory, from its workload.json: what keeps running in the other slot
 * of a blue-green or canary pair. undefined when there is none, when it is this release's own (a later step of
 * the same rollout), or when the file is not one the renderer wrote: the renderer then leaves that slot's file as
 * it is rather than guessing its release.
 */
export function previousReleaseOf(workloadJson: Buffer | undefined, input: RenderManifestInput): PreviousRelease | undefined {
  if (workloadJson === undefined) return undefined;
  let document: unknown;
  try {
    document = JSON.parse(workloadJson.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof document !== 'object' || document === null) return undefined;
  const doc = document as Record<string, unknown>;
  if (doc.releaseId === input.releaseId) return undefined;
  const workload = {
    name: doc.name,
    command: doc.command,
    replicas: doc.replicas,
    ...(doc.port === null || doc.port === undefined ? {} : { port: doc.port }),
    ...(doc.healthPath === null || doc.healthPath === undefined ? {} : { healthPath: doc.healthPath }),
    ...(doc.env === undefined ? {} : { env: doc.env }),
  };
  // the contract's own schema checks the fields: a RenderManifest that differs only in what ran before
  const checked = validatePayload('RenderManifest', { ...input, releaseId: doc.releaseId, version: doc.version, artifacts: doc.artifacts, workload });
  if (!checked.ok) return undefined;
  const { releaseId, version, artifacts } = checked.value;
  return { releaseId, version, artifacts, workload: checked.value.workload };
}
