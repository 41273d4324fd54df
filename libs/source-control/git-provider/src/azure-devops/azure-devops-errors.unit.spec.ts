import {
  GitConflictError,
  GitInvalidInputError,
  GitMergeConflictError,
  GitNotFoundError,
  GitUnavailableError,
} from '../git-provider.port';
import { extractTfCode, mapAzureDevOpsError, refUpdateRejected } from './azure-devops-errors';

// what typed-rest-client throws for a status > 299
function httpError(statusCode: number, message: string, result?: Record<string, unknown>): Error {
  return Object.assign(new Error(message), { statusCode, result });
}

const ctx = { operation: 'createPush', details: { branch: 'main' } };

describe('mapAzureDevOpsError', () => {
  it('404 → GitNotFoundError', () => {
    expect(mapAzureDevOpsError(httpError(404, 'TF401019: The Git repository ... does not exist'), ctx)).toBeInstanceOf(GitNotFoundError);
  });

  it('409 (stale ref TF401028, existing name TF400948) → GitConflictError with status, TF code and typeKey', () => {
    const err = mapAzureDevOpsError(
      httpError(409, "TF401028: The reference 'refs/heads/main' has already been updated by another client", { typeKey: 'GitReferenceStaleException' }),
      ctx,
    );
    expect(err).toBeInstanceOf(GitConflictError);
    expect(err.code).toBe('git.conflict');
    expect(err.details).toEqual({ branch: 'main', operation: 'createPush', statusCode: 409, tfCode: 'TF401028', typeKey: 'GitReferenceStaleException' });
    expect(mapAzureDevOpsError(httpError(409, 'TF400948: A Git repository with the name x already exists.'), ctx)).toBeInstanceOf(GitConflictError);
  });

  it('400 → GitInvalidInputError, unless its TF code says stale ref (conflict) or missing item (not found)', () => {
    expect(mapAzureDevOpsError(httpError(400, "TF401025: 'a/b' is not a valid name."), ctx)).toBeInstanceOf(GitInvalidInputError);
    expect(mapAzureDevOpsError(httpError(400, 'TF401028: The reference has already been updated'), ctx)).toBeInstanceOf(GitConflictError);
    expect(mapAzureDevOpsError(httpError(400, "TF401174: The item '/x' could not be found"), ctx)).toBeInstanceOf(GitNotFoundError);
  });

  it.each([401, 403, 429, 500, 503])('%i → GitUnavailableError', (status) => {
    expect(mapAzureDevOpsError(httpError(status, 'Failed request'), ctx)).toBeInstanceOf(GitUnavailableError);
  });

  it('network failures (no statusCode) and non-Error throws → GitUnavailableError', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(mapAzureDevOpsError(refused, ctx)).toBeInstanceOf(GitUnavailableError);
    expect(mapAzureDevOpsError('boom', ctx)).toBeInstanceOf(GitUnavailableError);
  });

  it('passes typed errors through unchanged', () => {
    const typed = new GitMergeConflictError('git.merge_conflict', 'x', { paths: [] });
    expect(mapAzureDevOpsError(typed, ctx)).toBe(typed);
  });

  it('extracts TF codes and builds ref-update rejections', () => {
    expect(extractTfCode('oops TF401028: stale')).toBe('TF401028');
    expect(extractTfCode('no code')).toBeUndefined();
    const err = refUpdateRejected('refs/heads/main', 'staleOldObjectId');
    expect(err).toBeInstanceOf(GitConflictError);
    expect(err.details).toEqual({ ref: 'refs/heads/main', updateStatus: 'staleOldObjectId' });
  });
});
