import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { minimatch } from 'minimatch';

// Azure-style file matching for the publish tasks: one pattern a line, relative to a search folder (or absolute),
// `!pattern` excludes. Directories named .git are never searched; node_modules only when a pattern names it.

const GLOB = /[*?[\]{}]/;

export async function matchFiles(patterns: readonly string[], searchFolder: string): Promise<string[]> {
  const includes = patterns.filter((p) => !p.startsWith('!')).map((p) => resolve(searchFolder, p));
  const excludes = patterns.filter((p) => p.startsWith('!')).map((p) => resolve(searchFolder, p.slice(1)));
  const found = new Set<string>();
  for (const pattern of includes) {
    const base = staticBase(pattern);
    const intoModules = pattern.includes('node_modules');
    for (const file of await walk(base, intoModules)) {
      if (minimatch(file, pattern, { dot: true })) found.add(file);
    }
  }
  return [...found].filter((file) => !excludes.some((exclude) => minimatch(file, exclude, { dot: true }))).sort();
}

/** Every file under a path (the path itself when it is a file); nothing when it does not exist. */
export async function walk(path: string, intoModules = true): Promise<string[]> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return [];
  if (info.isFile()) return [path];
  if (!info.isDirectory()) return [];
  const files: string[] = [];
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (entry.name === '.git' || (!intoModules && entry.name === 'node_modules')) continue;
    const child = join(path, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(child, intoModules)));
    else if (entry.isFile()) files.push(child);
  }
  return files;
}

/** Whether `path` is `root` or inside it. */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function staticBase(pattern: string): string {
  const parts = pattern.split(sep);
  const index = parts.findIndex((part) => GLOB.test(part));
  if (index === -1) return pattern;
  return parts.slice(0, index).join(sep) || sep;
}
