// Pure translations between the port's shapes and Azure DevOps Git REST shapes (enums are the numeric values
// azure-devops-node-api sends; it deserializes the service's string enums back to these numbers).
import {
  GitPullRequestMergeStrategy,
  GitStatusState,
  GitVersionType,
  ItemContentType,
  VersionControlChangeType,
  type GitChange,
  type GitCommitRef,
  type GitVersionDescriptor,
} from 'azure-devops-node-api/interfaces/GitInterfaces';
import type { CommitInfo, FileChange, MergeStrategy } from '../git-provider.port';

export const ZERO_SHA = '0000000000000000000000000000000000000000';

export function isSha(revision: string): boolean {
  return /^[0-9a-f]{40}$/i.test(revision);
}

export function refName(branch: string): string {
  return branch.startsWith('refs/') ? branch : `refs/heads/${branch}`;
}

export function branchName(ref: string): string {
  return ref.replace(/^refs\/heads\//, '');
}

/** A 40-hex revision is a commit, anything else a branch name (the port has no tags). */
export function versionDescriptor(revision: string): GitVersionDescriptor {
  return isSha(revision)
    ? { version: revision, versionType: GitVersionType.Commit }
    : { version: branchName(revision), versionType: GitVersionType.Branch };
}

export function withTrailers(message: string, trailers?: Record<string, string>): string {
  const lines = Object.entries(trailers ?? {}).map(([k, v]) => `${k}: ${v}`);
  return lines.length === 0 ? message : `${message.trimEnd()}\n\n${lines.join('\n')}`;
}

/** `Key: value` lines of the last paragraph, when every line of it is one (git's trailer convention). */
export function parseTrailers(message: string): Record<string, string> {
  const paragraphs = message.trimEnd().split(/\n\s*\n/);
  const last = paragraphs.length > 1 ? paragraphs[paragraphs.length - 1] : undefined;
  if (!last) return {};
  const out: Record<string, string> = {};
  for (const line of last.split('\n')) {
    const m = /^([A-Za-z0-9][A-Za-z0-9-]*):\s?(.*)$/.exec(line);
    if (!m || m[1] === undefined || m[2] === undefined) return {};
    out[m[1]] = m[2];
  }
  return out;
}

export function toGitChange(change: FileChange): GitChange {
  const item = { path: `/${change.path.replace(/^\/+/, '')}` };
  if (change.action === 'delete') return { changeType: VersionControlChangeType.Delete, item };
  return {
    changeType: change.action === 'add' ? VersionControlChangeType.Add : VersionControlChangeType.Edit,
    item,
    newContent: {
      content: change.content,
      contentType: change.encoding === 'base64' ? ItemContentType.Base64Encoded : ItemContentType.RawText,
    },
  };
}

/** changeType is a flag set (e.g. edit|rename); delete and add win over edit. */
export function toDiffChange(changeType: VersionControlChangeType | undefined): 'added' | 'modified' | 'deleted' {
  const t = changeType ?? VersionControlChangeType.Edit;
  if (t & VersionControlChangeType.Delete) return 'deleted';
  if (t & VersionControlChangeType.Add) return 'added';
  return 'modified';
}

// fast-forward → "rebase and fast-forward", the only ADO strategy that adds no merge commit.
export function toMergeStrategy(strategy: MergeStrategy): GitPullRequestMergeStrategy {
  switch (strategy) {
    case 'merge':
      return GitPullRequestMergeStrategy.NoFastForward;
    case 'squash':
      return GitPullRequestMergeStrategy.Squash;
    case 'fast-forward':
      return GitPullRequestMergeStrategy.Rebase;
  }
}

export function toStatusState(state: 'pending' | 'succeeded' | 'failed' | 'error'): GitStatusState {
  switch (state) {
    case 'pending':
      return GitStatusState.Pending;
    case 'succeeded':
      return GitStatusState.Succeeded;
    case 'failed':
      return GitStatusState.Failed;
    case 'error':
      return GitStatusState.Error;
  }
}

function isoDate(d: unknown): string {
  if (d instanceof Date) return d.toISOString();
  return typeof d === 'string' ? d : '';
}

export function toCommitInfo(c: GitCommitRef): CommitInfo {
  const message = c.comment ?? '';
  return {
    sha: c.commitId ?? '',
    parents: c.parents ?? [],
    message,
    author: { name: c.author?.name ?? '', email: c.author?.email ?? '', date: isoDate(c.author?.date) },
    trailers: parseTrailers(message),
  };
}
