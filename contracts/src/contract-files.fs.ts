import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderContractFiles, SCHEMA_DIR } from './contract-files';

// The generator's file-system half (kept out of index.ts: importing the contracts never touches the disk).
const ROOT_PACKAGE = 'delivery-platform';

/** The workspace root: the nearest directory above `start` whose package.json is named delivery-platform. */
export function findWorkspaceRoot(start: string): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === ROOT_PACKAGE) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json named ${ROOT_PACKAGE} above ${start}`);
  }
}

/** Paths (relative to contracts/) whose content differs from what the generator produces, plus leftovers. */
export function staleContractFiles(contractsDir: string, files = renderContractFiles()): string[] {
  const stale: string[] = [];
  for (const [relative, content] of files) {
    const target = path.join(contractsDir, relative);
    if (!fs.existsSync(target)) stale.push(`${relative} (missing)`);
    else if (fs.readFileSync(target, 'utf8') !== content) stale.push(`${relative} (differs)`);
  }
  for (const file of schemaFilesOnDisk(contractsDir)) {
    if (!files.has(`${SCHEMA_DIR}/${file}`)) stale.push(`${SCHEMA_DIR}/${file} (no longer in the catalogue)`);
  }
  return stale;
}

/** Writes what changed and removes schemas of types that left the catalogue; returns the paths touched. */
export function writeContractFiles(contractsDir: string, files = renderContractFiles()): string[] {
  const touched: string[] = [];
  fs.mkdirSync(path.join(contractsDir, SCHEMA_DIR), { recursive: true });
  for (const file of schemaFilesOnDisk(contractsDir)) {
    if (files.has(`${SCHEMA_DIR}/${file}`)) continue;
    fs.rmSync(path.join(contractsDir, SCHEMA_DIR, file));
    touched.push(`${SCHEMA_DIR}/${file} (removed)`);
  }
  for (const [relative, content] of files) {
    const target = path.join(contractsDir, relative);
    if (fs.existsSync(target) && fs.readFileSync(target, 'utf8') === content) continue;
    fs.writeFileSync(target, content);
    touched.push(relative);
  }
  return touched;
}

function schemaFilesOnDisk(contractsDir: string): string[] {
  const dir = path.join(contractsDir, SCHEMA_DIR);
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
}
