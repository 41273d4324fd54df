// Pure mapping from azure-devops-node-api failures to the port's typed errors. The client (typed-rest-client)
// throws `Error(message)` with `statusCode` (and `result`, the parsed body) for any status > 299; transport
// failures carry a Node `code` (ECONNREFUSED …) and no statusCode.
import {
  GitConflictError,
  GitInvalidInputError,
  GitNotFoundError,
  GitProviderError,
  GitUnavailableError,
} from '../git-provider.port';

export interface AzureDevOpsErrorContext {
  /** what the adapter was doing, e.g. 'createPush' */
  operation: string;
  details?: Record<string, unknown>;
}

// TF codes that mean "someone else moved the ref / the thing exists" whatever status they arrive with.
// TF401028: ref already updated by another client; TF400948: repository name already exists.
const CONFLICT_CODES = ['TF401028', 'TF400948'];
// TF401019: repository not found; TF401174/5: item/version not found; TF401180: pull request not found.
const NOT_FOUND_CODES = ['TF401019', 'TF401174', 'TF401175', 'TF401180'];

export function extractTfCode(message: string): string | undefined {
  return /\b(TF\d{5,6})\b/.exec(message)?.[1];
}

function statusOf(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'statusCode' in err) {
    const s = (err as { statusCode: unknown }).statusCode;
    return typeof s === 'number' ? s : undefined;
  }
  return undefined;
}

function typeKeyOf(err: unknown): string | undefined {
  const result = typeof err === 'object' && err !== null ? (err as { result?: unknown }).result : undefined;
  if (typeof result === 'object' && result !== null && 'typeKey' in result) {
    const k = (result as { typeKey: unknown }).typeKey;
    return typeof k === 'string' ? k : undefined;
  }
  return undefined;
}

export function mapAzureDevOpsError(err: unknown, ctx: AzureDevOpsErrorContext): GitProviderError {
  if (err instanceof GitProviderError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const statusCode = statusOf(err);
  const tfCode = extractTfCode(message);
  const typeKey = typeKeyOf(err);
  const details = { ...ctx.details, operation: ctx.operation, statusCode, tfCode, typeKey };
  const text = `azure devops ${ctx.operation} failed${statusCode ? ` (${statusCode})` : ''}: ${message}`;

  if (statusCode === 409) return new GitConflictError('git.conflict', text, details);
  if (statusCode === 404) return new GitNotFoundError('git.not_found', text, details);
  if (statusCode === 400) {
    // ADO reports a stale ref from a push as 400 on some versions; the TF code is authoritative.
    if (tfCode && CONFLICT_CODES.includes(tfCode)) return new GitConflictError('git.conflict', text, details);
    if (tfCode && NOT_FOUND_CODES.includes(tfCode)) return new GitNotFoundError('git.not_found', text, details);
    return new GitInvalidInputError('git.invalid_input', text, details);
  }
  if (statusCode !== undefined && statusCode < 500 && tfCode && CONFLICT_CODES.includes(tfCode)) {
    return new GitConflictError('git.conflict', text, details);
  }
  // 401/403 (bad or under-scoped token), 429, 5xx and network failures: nothing the caller can fix by retrying
  // with different input, so the provider is "unavailable" to it.
  return new GitUnavailableError('git.unavailable', text, details);
}

/** A ref update result with success=false (updateRefs answers 200 with per-ref outcomes). */
export function refUpdateRejected(name: string, updateStatus: unknown, customMessage?: string): GitConflictError {
  return new GitConflictError('git.conflict', `ref update of ${name} rejected: ${String(updateStatus)}${customMessage ? ` (${customMessage})` : ''}`, {
    ref: name,
    updateStatus,
  });
}
