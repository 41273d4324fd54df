import { Type } from '@sinclair/typebox';
import { command, event } from '../message';

// Placeholder set; the contracts work completes the source-control catalogue.
export const sourceControlMessages = [
  command('CreateCommit', {
    service: 'commit',
    summary: 'Commit file changes to a branch of a repository.',
    payload: Type.Object(
      {
        repositoryId: Type.String({ minLength: 1 }),
        branch: Type.String({ minLength: 1 }),
        message: Type.String({ minLength: 1 }),
      },
      { additionalProperties: false },
    ),
  }),
  event('CommitCreated', {
    service: 'commit',
    context: 'source-control',
    summary: 'A commit was written to a branch.',
    payload: Type.Object(
      {
        repositoryId: Type.String({ minLength: 1 }),
        branch: Type.String({ minLength: 1 }),
        sha: Type.String({ pattern: '^[0-9a-f]{40}$' }),
      },
      { additionalProperties: false },
    ),
  }),
] as const;
