import { DependencyError, NotFoundError, PlatformError, TransientError } from '@delivery/messaging';

// Coded failures of the Azure Pipelines adapter. The worker turns a PlatformError into the run's error
// (code, message, retryable = disposition 'retry').

/** No YAML definition of the repository points at the pipeline file. */
export class DefinitionNotFoundError extends NotFoundError {}

/** 401/403: the PAT is missing, expired or lacks Build (read & execute); retrying will not help. */
export class AzureUnauthorizedError extends DependencyError {}

/** 5xx, 429 or a network failure that outlived the adapter's retries: the same run may work later. */
export class AzureUnavailableError extends TransientError {}

/** Any other 4xx: the request was wrong (a deleted definition, a branch ADO does not know …). */
export class AzureRequestError extends DependencyError {}

export function statusOf(error: unknown): number | undefined {
  const s = typeof error === 'object' && error !== null ? (error as { statusCode?: unknown }).statusCode : undefined;
  return typeof s === 'number' ? s : undefined;
}

export function isRetryable(error: unknown): boolean {
  if (error instanceof PlatformError) return error.disposition === 'retry';
  const status = statusOf(error);
  // no status: a transport failure (ECONNREFUSED, ECONNRESET, a timeout)
  return status === undefined || status === 429 || status >= 500;
}

/** What azure-devops-node-api threw (typed-rest-client: Error + statusCode + result), as a coded error. */
export function mapAzureError(error: unknown, operation: string): PlatformError {
  if (error instanceof PlatformError) return error;
  const status = statusOf(error);
  const message = `Azure Pipelines ${operation} failed${status ? ` (HTTP ${status})` : ''}: ${error instanceof Error ? error.message : String(error)}`.slice(0, 4000);
  if (status === 401 || status === 403 || status === 203) {
    return new AzureUnauthorizedError('pipeline.azure-unauthorized', `${message}; check AZURE_DEVOPS_TOKEN (a PAT with Build read & execute)`, { status });
  }
  if (isRetryable(error)) return new AzureUnavailableError('pipeline.azure-unavailable', message, { status });
  return new AzureRequestError('pipeline.azure-request-failed', message, { status });
}
