// Pure validation of everything a caller can put into a path or a ref: the adapter never hands git an unchecked
// path, branch name or repository token, so nothing can escape the data directory or the tree being written.
import { FileChange, GitInvalidInputError } from './git-provider.port';

export const DEFAULT_MAX_FILES = 500;
export const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024;

export interface ChangeLimits {
  maxFiles?: number;
  maxFileBytes?: number;
}

export type ValidatedChange =
  | { action: 'upsert'; path: string; content: Buffer; mode: '100644' | '100755' }
  | { action: 'delete'; path: string };

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const TOKEN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

function invalid(path: string, rule: string, reason: string): GitInvalidInputError {
  return new GitInvalidInputError('invalid-path', `invalid path ${JSON.stringify(path)}: ${reason}`, { path, rule });
}

/** A repository-relative file path: forward slashes, no traversal, never inside a .git directory. */
export function validateRepoPath(path: string): string {
  if (typeof path !== 'string' || path.length === 0) throw invalid(String(path), 'empty', 'the path is empty');
  if (CONTROL_CHARS.test(path)) throw invalid(path, 'control-character', 'NUL or control characters are not allowed');
  if (path.includes('\\')) throw invalid(path, 'backslash', 'use forward slashes, not backslashes');
  if (path.startsWith('/')) throw invalid(path, 'absolute', 'absolute paths are not allowed');
  if (Buffer.byteLength(path) > 4096) throw invalid(path, 'too-long', 'the path is longer than 4096 bytes');
  for (const segment of path.split('/')) {
    if (segment === '') throw invalid(path, 'empty-segment', 'empty segments ("//" or a trailing "/") are not allowed');
    if (segment === '..') throw invalid(path, 'parent-segment', '".." segments are not allowed');
    if (segment === '.') throw invalid(path, 'dot-segment', '"." segments are not allowed');
    // git itself refuses .git in any case on case-insensitive filesystems; refuse it everywhere
    if (segment.toLowerCase() === '.git') throw invalid(path, 'git-directory', '".git" cannot be a path segment');
    if (Buffer.byteLength(segment) > 255) throw invalid(path, 'too-long', 'a path segment is longer than 255 bytes');
  }
  return path;
}

function decode(change: Extract<FileChange, { content: string }>, maxFileBytes: number): Buffer {
  if (typeof change.content !== 'string') throw invalid(change.path, 'content', 'content must be a string');
  if (change.encoding === 'base64') {
    const compact = change.content.replace(/\s+/g, '');
    if (compact.length % 4 !== 0 || !BASE64.test(compact)) throw invalid(change.path, 'encoding', 'content is not valid base64');
    // the decoded size is known before decoding, so an oversize file is never materialised
    const decodedBytes = (compact.length / 4) * 3 - (compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0);
    if (decodedBytes > maxFileBytes) throw oversize(change.path, decodedBytes, maxFileBytes);
    return Buffer.from(compact, 'base64');
  }
  if (change.encoding !== undefined && change.encoding !== 'utf8') throw invalid(change.path, 'encoding', `unknown encoding ${String(change.encoding)}`);
  const bytes = Buffer.byteLength(change.content, 'utf8');
  if (bytes > maxFileBytes) throw oversize(change.path, bytes, maxFileBytes);
  return Buffer.from(change.content, 'utf8');
}

function oversize(path: string, bytes: number, max: number): GitInvalidInputError {
  return invalid(path, 'file-too-large', `the file is ${bytes} bytes, more than the limit of ${max} bytes`);
}

/** Validates a commit's changes as a whole and decodes their content. */
export function validateFileChanges(changes: readonly FileChange[], limits: ChangeLimits = {}): ValidatedChange[] {
  const maxFiles = limits.maxFiles ?? DEFAULT_MAX_FILES;
  const maxFileBytes = limits.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (!Array.isArray(changes)) throw new GitInvalidInputError('invalid-changes', 'changes must be an array', { rule: 'changes' });
  if (changes.length > maxFiles) {
    throw new GitInvalidInputError('too-many-files', `${changes.length} file changes, more than the limit of ${maxFiles}`, {
      rule: 'too-many-files',
      count: changes.length,
      max: maxFiles,
    });
  }
  const seen = new Set<string>();
  const upserts = new Set<string>();
  const result: ValidatedChange[] = [];
  for (const change of changes) {
    const path = validateRepoPath(change.path);
    if (seen.has(path)) throw invalid(path, 'duplicate-path', 'the path appears more than once in one commit');
    seen.add(path);
    if (change.action === 'delete') {
      result.push({ action: 'delete', path });
    } else if (change.action === 'add' || change.action === 'update') {
      upserts.add(path);
      result.push({ action: 'upsert', path, content: decode(change, maxFileBytes), mode: change.executable ? '100755' : '100644' });
    } else {
      throw invalid(path, 'action', `unknown action ${String((change as { action: unknown }).action)}`);
    }
  }
  // a file and a file below it cannot both exist in one tree
  for (const path of upserts) {
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const prefix = segments.slice(0, i).join('/');
      if (upserts.has(prefix)) throw invalid(path, 'file-directory-conflict', `"${prefix}" is written as a file in the same commit`);
    }
  }
  return result;
}

function badBranch(name: string, reason: string): GitInvalidInputError {
  return new GitInvalidInputError('invalid-branch', `invalid branch name ${JSON.stringify(name)}: ${reason}`, { branch: name, rule: 'branch-name' });
}

/** `git check-ref-format --branch` rules, implemented purely (the int spec checks them against git itself). */
export function validateBranchName(name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw badBranch(String(name), 'the name is empty');
  if (name.startsWith('-')) throw badBranch(name, 'cannot start with "-"');
  if (name === 'HEAD') throw badBranch(name, '"HEAD" is not a branch name');
  if (name === '@') throw badBranch(name, '"@" is not a branch name');
  if (CONTROL_CHARS.test(name)) throw badBranch(name, 'control characters are not allowed');
  const forbidden = [' ', '~', '^', ':', '?', '*', '[', '\\'].find((c) => name.includes(c));
  if (forbidden) throw badBranch(name, `"${forbidden}" is not allowed`);
  if (name.includes('..')) throw badBranch(name, '".." is not allowed');
  if (name.includes('@{')) throw badBranch(name, '"@{" is not allowed');
  if (name.startsWith('/') || name.endsWith('/')) throw badBranch(name, 'cannot start or end with "/"');
  if (name.endsWith('.')) throw badBranch(name, 'cannot end with "."');
  for (const component of name.split('/')) {
    if (component === '') throw badBranch(name, '"//" is not allowed');
    if (component.startsWith('.')) throw badBranch(name, 'a component cannot start with "."');
    if (component.endsWith('.lock')) throw badBranch(name, 'a component cannot end with ".lock"');
  }
  return name;
}

/** tenant, project and repository names become directory names: slug-like only, so no path escapes dataDir. */
export function validateLocatorToken(kind: 'tenantId' | 'projectId' | 'name', value: string): string {
  if (typeof value !== 'string' || !TOKEN.test(value) || value.toLowerCase().endsWith('.lock')) {
    throw new GitInvalidInputError('invalid-locator', `invalid ${kind} ${JSON.stringify(value)}: use letters, digits, ".", "_" or "-", starting with a letter or digit (max 100)`, {
      rule: 'locator',
      [kind]: value,
    });
  }
  return value;
}

// A revision argument handed to git: never an option, never whitespace or control characters.
export function validateRevision(revision: string): string {
  if (typeof revision !== 'string' || revision.length === 0 || revision.startsWith('-') || /[\s\u0000-\u001f\u007f]/.test(revision) || revision.length > 256) {
    throw new GitInvalidInputError('invalid-revision', `invalid revision ${JSON.stringify(revision)}`, { revision, rule: 'revision' });
  }
  return revision;
}
