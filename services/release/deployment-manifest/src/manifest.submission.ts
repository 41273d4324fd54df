import type { Envelope, PayloadOf } from '@delivery/contracts';
import type { RenderManifestInput } from './domain/manifest.renderer';
import type { ManifestPlan } from './gitops/manifest.planner';
import { createCommitOf, idempotencyKeyOf, renderedOf, type RenderContext } from './manifest.messages';

export type Submission =
  /** the branch already holds these bytes: answered at once with its head */
  | { kind: 'unchanged'; answer: Envelope<PayloadOf<'DeploymentManifestRendered'>, 'DeploymentManifestRendered'> }
  /** a commit to send; the answer waits for the commit service's reply to idempotencyKey */
  | { kind: 'commit'; command: Envelope<PayloadOf<'CreateCommit'>, 'CreateCommit'>; idempotencyKey: string };

/**
 * What a plan asks for: an answer now, or a commit. `causationId`: the message that made this attempt. `uniqueTo`
 * extends the key when its plain form already named an earlier commit that the branch no longer holds.
 */
export function submissionOf(input: RenderManifestInput, plan: ManifestPlan, context: RenderContext, causationId: string, uniqueTo?: string): Submission {
  if (plan.branchExists && plan.changes.length === 0) {
    return { kind: 'unchanged', answer: renderedOf(input, plan.rendered, { changed: false, revision: plan.baseSha }, context) };
  }
  const idempotencyKey = idempotencyKeyOf(input, plan.rendered.contentDigest, uniqueTo);
  const expectedParentSha = plan.branchExists ? plan.baseSha : null;
  return { kind: 'commit', idempotencyKey, command: createCommitOf(input, { rendered: plan.rendered, changes: plan.changes, expectedParentSha, idempotencyKey }, context, causationId) };
}
