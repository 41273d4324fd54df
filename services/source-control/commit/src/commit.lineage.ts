import type { Envelope, PayloadOf } from '@delivery/contracts';
import { GitNotFoundError, platformErrorOf, type CommitInfo, type GitProvider, type RepositoryLocator } from '@delivery/git-provider';
import { ValidationError } from '@delivery/messaging';

export type CommitFile = NonNullable<PayloadOf<'CommitCreated'>['files']>[number];

export const COMMAND_ID = 'Command-Id';
export const TRACE_ID = 'Trace-Id';
export const ARTIFACT_ID = 'Artifact-Id';
export const IDEMPOTENCY_KEY = 'Idempotency-Key';
const OURS = [COMMAND_ID, TRACE_ID, ARTIFACT_ID, IDEMPOTENCY_KEY].map((key) => key.toLowerCase());

// What CommitCreated can carry (contracts' Trailers): the same bounds decide what a commit may be given.
const MAX_TRAILERS = 20;
const TRAILER_KEY = /^[A-Z][A-Za-z0-9-]{0,62}$/;
const MAX_TRAILER_VALUE = 500;
/** how far back a redelivered command looks for the commit an earlier attempt of it wrote */
export const ADOPTION_WINDOW = 50;

/**
 * The trailers every commit of this service carries: the caller's, then the lineage ones, which the caller cannot
 * override. Command-Id is what lets a redelivery find the commit of an attempt whose transaction never committed.
 */
export function lineageTrailers(command: Envelope, lineage: { artifactId?: string; idempotencyKey?: string; extra?: Record<string, string> }): Record<string, string> {
  const trailers: Record<string, string> = {};
  for (const [key, value] of Object.entries(lineage.extra ?? {})) {
    if (!OURS.includes(key.toLowerCase())) trailers[key] = value;
  }
  trailers[COMMAND_ID] = command.id;
  trailers[TRACE_ID] = command.traceId;
  if (lineage.artifactId !== undefined) trailers[ARTIFACT_ID] = lineage.artifactId;
  if (lineage.idempotencyKey !== undefined) {
    // it becomes one trailer line, and git would silently trim or break a value like that
    if (/[\u0000-\u001f\u007f]/.test(lineage.idempotencyKey) || lineage.idempotencyKey.trim() !== lineage.idempotencyKey) {
      throw new ValidationError('commit.invalid-idempotency-key', 'the idempotency key must be one line without surrounding spaces');
    }
    trailers[IDEMPOTENCY_KEY] = lineage.idempotencyKey;
  }
  if (Object.keys(trailers).length > MAX_TRAILERS) {
    throw new ValidationError('commit.too-many-trailers', `a commit carries at most ${MAX_TRAILERS} trailers, Command-Id and Trace-Id (and Artifact-Id, Idempotency-Key when given) included`);
  }
  return trailers;
}

/** A commit's trailers as CommitCreated can carry them (an adopted commit may have any trailers). */
export function eventTrailers(trailers: Record<string, string>): Record<string, string> {
  const entries = Object.entries(trailers).filter(([key, value]) => TRAILER_KEY.test(key) && value.length <= MAX_TRAILER_VALUE);
  return Object.fromEntries(entries.slice(0, MAX_TRAILERS));
}

/**
 * The crash window: git accepted the commit, the transaction that records it did not commit. The commit is then
 * on the branch with this command's Command-Id (or the same Idempotency-Key) and is adopted rather than written
 * twice. A branch that does not exist (yet) holds nothing to adopt.
 */
export async function findCommitOf(
  git: GitProvider,
  locator: RepositoryLocator,
  branch: string,
  marks: { commandId: string; idempotencyKey?: string },
): Promise<CommitInfo | undefined> {
  let recent: CommitInfo[];
  try {
    recent = await git.log(locator, branch, { limit: ADOPTION_WINDOW });
  } catch (error) {
    if (error instanceof GitNotFoundError) return undefined;
    throw platformErrorOf(error);
  }
  const own = recent.find((commit) => commit.trailers[COMMAND_ID] === marks.commandId);
  if (own || marks.idempotencyKey === undefined) return own;
  return recent.find((commit) => commit.trailers[IDEMPOTENCY_KEY] === marks.idempotencyKey);
}

/** What a commit changed, read from git (a revert, or a commit another command wrote). */
export async function filesBetween(git: GitProvider, locator: RepositoryLocator, parentSha: string | null, sha: string): Promise<CommitFile[]> {
  if (parentSha === null) return [];
  try {
    const changes = await git.diff(locator, parentSha, sha);
    return changes.slice(0, 1000).map(({ path, change }) => ({ path, action: change === 'added' ? 'add' : change === 'deleted' ? 'delete' : 'update' }));
  } catch (error) {
    throw platformErrorOf(error);
  }
}
