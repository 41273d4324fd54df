// Recorded Azure DevOps REST shapes (./recorded/*.json) and small helpers shared by the fake server's routes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeChange } from './azure-devops-fake.state';

export type Json = Record<string, unknown>;

export function recorded(name: string): Json {
  return JSON.parse(readFileSync(join(__dirname, 'recorded', `${name}.json`), 'utf8')) as Json;
}

export function template(name: string): Json {
  return recorded(name)['response'] as Json;
}

export function firstOf(collection: Json): Json {
  return (collection['value'] as Json[])[0] as Json;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`http ${status}`);
  }
}

export const ERRORS = recorded('errors');
export const CHANGE_TYPES: Record<string, FakeChange['changeType']> = { '1': 'add', '2': 'edit', '16': 'delete', add: 'add', edit: 'edit', delete: 'delete' };
export const STATUS_STATES: Record<string, string> = { '1': 'pending', '2': 'succeeded', '3': 'failed', '4': 'error' };
export const MERGE_STRATEGIES: Record<string, string> = { '1': 'noFastForward', '2': 'squash', '3': 'rebase', '4': 'rebaseMerge' };
export const PR_STATUSES: Record<string, string> = { '2': 'abandoned', '3': 'completed', abandoned: 'abandoned', completed: 'completed' };

