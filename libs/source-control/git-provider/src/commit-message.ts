// Commit messages, identities and trailers: validated before git sees them, and parsed back from `git log`.
import { GitIdentity, GitInvalidInputError } from './git-provider.port';

const TRAILER_KEY = /^[A-Za-z0-9][A-Za-z0-9-]{0,99}$/;
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export function validateIdentity(role: string, identity: GitIdentity | undefined): GitIdentity {
  const ok = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0 && !/[<>]/.test(v) && !CONTROL_CHARS.test(v);
  if (!identity || !ok(identity.name) || !ok(identity.email)) {
    throw new GitInvalidInputError('invalid-identity', `invalid ${role}: name and email are required, without "<", ">" or control characters`, { rule: 'identity', role });
  }
  return identity;
}

export function validateTrailers(trailers: Record<string, string> | undefined): Array<[string, string]> {
  const entries = Object.entries(trailers ?? {});
  for (const [key, value] of entries) {
    if (!TRAILER_KEY.test(key)) throw new GitInvalidInputError('invalid-trailer', `invalid trailer key ${JSON.stringify(key)}`, { rule: 'trailer', key });
    if (typeof value !== 'string' || value.trim() === '' || CONTROL_CHARS.test(value) || value !== value.trim()) {
      throw new GitInvalidInputError('invalid-trailer', `invalid value for trailer ${key}: one non-empty line without surrounding spaces`, { rule: 'trailer', key });
    }
  }
  return entries;
}

/** message, then a blank line and `Key: value` lines (git's trailer block). */
export function formatCommitMessage(message: string, trailers?: Record<string, string>): string {
  if (typeof message !== 'string' || message.includes('\0')) {
    throw new GitInvalidInputError('invalid-message', 'the commit message must be a string without NUL', { rule: 'message' });
  }
  const entries = validateTrailers(trailers);
  const body = message.replace(/\s+$/, '');
  if (entries.length === 0) return `${body}\n`;
  return `${body}\n\n${entries.map(([k, v]) => `${k}: ${v}`).join('\n')}\n`;
}

/** `%(trailers:only,unfold)` output → a map (the last value wins on a repeated key). */
export function parseTrailers(block: string): Record<string, string> {
  const trailers: Record<string, string> = {};
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    trailers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return trailers;
}

/** The message as the caller wrote it: the trailer block git recognised is not part of it. */
export function stripTrailerBlock(body: string, trailers: Record<string, string>): string {
  const trimmed = body.replace(/\s+$/, '');
  if (Object.keys(trailers).length === 0) return trimmed;
  const cut = trimmed.lastIndexOf('\n\n');
  if (cut < 0) return trimmed;
  const lastParagraph = trimmed.slice(cut + 2).split('\n');
  const allTrailers = lastParagraph.every((line) => {
    const colon = line.indexOf(':');
    return colon > 0 && line.slice(0, colon).trim() in trailers;
  });
  return allTrailers ? trimmed.slice(0, cut) : trimmed;
}
