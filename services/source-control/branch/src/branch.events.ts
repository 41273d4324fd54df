import type { Envelope, PayloadOf } from '@delivery/contracts';
import { createEnvelope } from '@delivery/messaging';
import type { StreamAppend } from '@delivery/service-kit';

export const SOURCE = 'branch';

type BranchCommand = 'CreateBranch' | 'DeleteBranch' | 'SetBranchPolicy';

/** One stream per repository: every branch event of it, in order. */
export function branchStream(repositoryId: string): string {
  return `branch-${repositoryId}`;
}

/** The answer to a refused branch command, so a bus client learns why without reading dead letters. */
export function branchRejected(command: Envelope<unknown, BranchCommand>, repositoryId: string, branch: string, error: PayloadOf<'BranchCommandRejected'>['error']): StreamAppend {
  const event = createEnvelope('BranchCommandRejected', { repositoryId, branch, command: command.type, error }, { source: SOURCE });
  return { stream: branchStream(repositoryId), events: [event] };
}
