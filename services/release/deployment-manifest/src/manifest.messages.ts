import { createHash } from 'node:crypto';
import type { Envelope, PayloadOf, schemas } from '@delivery/contracts';
import { createEnvelope, type EnvelopeOptions } from '@delivery/messaging';
import type { RenderedManifests, RenderManifestInput } from './domain/manifest.renderer';

// The messages this service sends, and the correlation rules of services/release/README.md they follow.
export const SERVICE = 'deployment-manifest';
const ACTOR = { kind: 'service', id: SERVICE } as const;

export type RenderManifestCommand = Envelope<PayloadOf<'RenderManifest'>, 'RenderManifest'>;

/** What every answer to one RenderManifest inherits from it, kept with a pending render until the commit replies. */
export interface RenderContext {
  renderId: string;
  tenantId: string;
  projectId: string;
  traceId: string;
  correlationId: string;
}

export function contextOf(command: RenderManifestCommand): RenderContext {
  return { renderId: command.id, tenantId: command.tenantId, projectId: command.projectId, traceId: command.traceId, correlationId: command.correlationId };
}

export function manifestStream(input: RenderManifestInput): string {
  return `manifest-${input.releaseId}-${input.environment}`;
}

/**
 * The commit service yields one commit per key: the same manifests of a release in an environment are committed
 * once. `uniqueTo` makes a key of one render's own (its last part a hash of digest and render, so the key keeps the
 * shape the promotion service parses) for when the plain key names an earlier commit the branch no longer holds.
 */
export function idempotencyKeyOf(input: RenderManifestInput, contentDigest: string, uniqueTo?: string): string {
  const hex = contentDigest.replace(/^sha256:/, '');
  const part = uniqueTo === undefined ? hex : createHash('sha256').update(`${hex}\n${uniqueTo}`).digest('hex');
  return `manifest:${input.releaseId}:${input.environment}:${part.slice(0, 32)}`;
}

/** The commit of rendered manifests, compare-and-swap on the head they were rendered against (null: a new branch). */
export function createCommitOf(
  input: RenderManifestInput,
  commit: { rendered: RenderedManifests; changes: schemas.FileChange[]; expectedParentSha: string | null; idempotencyKey: string },
  context: RenderContext,
  causationId: string,
): Envelope<PayloadOf<'CreateCommit'>, 'CreateCommit'> {
  const payload: PayloadOf<'CreateCommit'> = {
    repositoryId: input.gitops.repositoryId,
    branch: input.gitops.branch,
    message: `Deploy ${input.application} ${input.version} to ${input.environment}`,
    changes: commit.changes,
    expectedParentSha: commit.expectedParentSha,
    idempotencyKey: commit.idempotencyKey,
    // lineage: from a commit in the GitOps repository back to the release that put it there
    trailers: {
      'Release-Id': input.releaseId,
      Environment: input.environment,
      Application: input.application,
      Version: input.version,
      'Content-Digest': commit.rendered.contentDigest,
    },
  };
  return createEnvelope('CreateCommit', payload, optionsOf(context, causationId));
}

export function renderedOf(
  input: RenderManifestInput,
  rendered: Pick<RenderedManifests, 'contentDigest'> & { files: ReadonlyArray<{ path: string; digest: string }> },
  outcome: { changed: boolean; revision: string },
  context: RenderContext,
): Envelope<PayloadOf<'DeploymentManifestRendered'>, 'DeploymentManifestRendered'> {
  const payload: PayloadOf<'DeploymentManifestRendered'> = {
    releaseId: input.releaseId,
    environment: input.environment,
    application: input.application,
    repositoryId: input.gitops.repositoryId,
    branch: input.gitops.branch,
    files: rendered.files.map(({ path, digest }) => ({ path, digest })),
    contentDigest: rendered.contentDigest,
    changed: outcome.changed,
    revision: outcome.revision,
  };
  return createEnvelope('DeploymentManifestRendered', payload, optionsOf(context, context.renderId));
}

export function renderFailedOf(input: RenderManifestInput, error: schemas.Failure, context: RenderContext): Envelope<PayloadOf<'DeploymentManifestRenderFailed'>, 'DeploymentManifestRenderFailed'> {
  const payload = { releaseId: input.releaseId, environment: input.environment, application: input.application, error };
  return createEnvelope('DeploymentManifestRenderFailed', payload, optionsOf(context, context.renderId));
}

// explicit rather than inherited: answers built when the commit replies are not inside the RenderManifest's trace
function optionsOf(context: RenderContext, causationId: string): EnvelopeOptions {
  const { tenantId, projectId, traceId, correlationId } = context;
  return { source: SERVICE, actor: ACTOR, tenantId, projectId, traceId, correlationId, causationId };
}
