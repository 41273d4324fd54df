import { GitPullRequestMergeStrategy, GitStatusState, GitVersionType, ItemContentType, VersionControlChangeType } from 'azure-devops-node-api/interfaces/GitInterfaces';
import { parseTrailers, toCommitInfo, toDiffChange, toGitChange, toMergeStrategy, toStatusState, versionDescriptor, withTrailers } from './azure-devops-mapping';

describe('azure devops mapping', () => {
  it('names a 40-hex revision a commit and anything else a branch', () => {
    expect(versionDescriptor('a'.repeat(40))).toEqual({ version: 'a'.repeat(40), versionType: GitVersionType.Commit });
    expect(versionDescriptor('refs/heads/main')).toEqual({ version: 'main', versionType: GitVersionType.Branch });
  });

  it('round-trips trailers through the commit message', () => {
    const msg = withTrailers('feat: x\n\nbody', { 'Trace-Id': 't1', 'Artifact-Id': 'a1' });
    expect(msg).toBe('feat: x\n\nbody\n\nTrace-Id: t1\nArtifact-Id: a1');
    expect(parseTrailers(msg)).toEqual({ 'Trace-Id': 't1', 'Artifact-Id': 'a1' });
    expect(parseTrailers('feat: x\n\njust a paragraph')).toEqual({});
    expect(parseTrailers('Subject: only line')).toEqual({});
  });

  it('maps file changes to GitChange', () => {
    expect(toGitChange({ action: 'update', path: 'a/b.txt', content: 'x' })).toEqual({
      changeType: VersionControlChangeType.Edit,
      item: { path: '/a/b.txt' },
      newContent: { content: 'x', contentType: ItemContentType.RawText },
    });
    expect(toGitChange({ action: 'add', path: 'p.png', content: 'AA==', encoding: 'base64' }).newContent?.contentType).toBe(ItemContentType.Base64Encoded);
    expect(toGitChange({ action: 'delete', path: 'gone' })).toEqual({ changeType: VersionControlChangeType.Delete, item: { path: '/gone' } });
  });

  it('reads diff change flags, merge strategies and status states', () => {
    expect(toDiffChange(VersionControlChangeType.Edit | VersionControlChangeType.Rename)).toBe('modified');
    expect(toDiffChange(VersionControlChangeType.Delete | VersionControlChangeType.SourceRename)).toBe('deleted');
    expect(toDiffChange(VersionControlChangeType.Add)).toBe('added');
    expect(toMergeStrategy('merge')).toBe(GitPullRequestMergeStrategy.NoFastForward);
    expect(toMergeStrategy('squash')).toBe(GitPullRequestMergeStrategy.Squash);
    expect(toMergeStrategy('fast-forward')).toBe(GitPullRequestMergeStrategy.Rebase);
    expect(toStatusState('error')).toBe(GitStatusState.Error);
  });

  it('maps a commit with a Date author date to CommitInfo', () => {
    const info = toCommitInfo({ commitId: 'c', parents: ['p'], comment: 'x\n\nTrace-Id: t', author: { name: 'n', email: 'e', date: new Date('2024-01-02T03:04:05Z') } });
    expect(info).toEqual({ sha: 'c', parents: ['p'], message: 'x\n\nTrace-Id: t', author: { name: 'n', email: 'e', date: '2024-01-02T03:04:05.000Z' }, trailers: { 'Trace-Id': 't' } });
  });
});
