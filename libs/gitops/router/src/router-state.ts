import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createRoutingTable, type RoutingTable, type RoutingTableInput } from './routing-table';

// The files a router process shares with its controller in <stateDir>: routes.json (written by the controller)
// and router.json (written by the router: what a restarted controller needs to adopt it). Both are replaced
// atomically (temp file + rename) so a reader never sees half a file.

export const ROUTES_FILE = 'routes.json';
export const RECORD_FILE = 'router.json';

export interface RouterRecord {
  version: 1;
  pid: number;
  /** ISO time the process started: with pid it tells a live router from a reused pid */
  startedAt: string;
  host: string;
  port: number;
  adminPort: number;
  stateDir: string;
}

export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await fs.writeFile(temp, content);
  await fs.rename(temp, file);
}

/** What the controller calls: validates, then replaces <stateDir>/routes.json atomically. */
export async function writeRoutesFile(stateDir: string, table: RoutingTableInput): Promise<RoutingTable> {
  const valid = createRoutingTable(table);
  await fs.mkdir(stateDir, { recursive: true });
  await writeFileAtomic(path.join(stateDir, ROUTES_FILE), `${JSON.stringify(valid, null, 2)}\n`);
  return valid;
}

/** Reads and validates routes.json; null when it does not exist. Throws on invalid JSON or an invalid table. */
export async function readRoutesFile(stateDir: string): Promise<{ table: RoutingTable; digest: string } | null> {
  let text: string;
  try {
    text = await fs.readFile(path.join(stateDir, ROUTES_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const table = createRoutingTable(JSON.parse(text) as RoutingTableInput);
  return { table, digest: `sha256:${createHash('sha256').update(text).digest('hex')}` };
}

export async function writeRouterRecord(record: RouterRecord): Promise<void> {
  await fs.mkdir(record.stateDir, { recursive: true });
  await writeFileAtomic(path.join(record.stateDir, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

export async function readRouterRecord(stateDir: string): Promise<RouterRecord | null> {
  try {
    return JSON.parse(await fs.readFile(path.join(stateDir, RECORD_FILE), 'utf8')) as RouterRecord;
  } catch {
    return null;
  }
}

/**
 * Adoption by a restarted controller: the record's router is adopted when its pid is alive AND its admin health
 * endpoint answers with the same pid and start time (a reused pid fails the second check). Null otherwise.
 */
export async function adoptRouter(stateDir: string, timeoutMs = 2_000): Promise<RouterRecord | null> {
  const record = await readRouterRecord(stateDir);
  if (record === null) return null;
  try {
    process.kill(record.pid, 0);
  } catch {
    return null;
  }
  try {
    const res = await fetch(`http://${record.host}:${record.adminPort}/_router/health`, { signal: AbortSignal.timeout(timeoutMs) });
    const health = (await res.json()) as { pid?: number; startedAt?: string };
    return health.pid === record.pid && health.startedAt === record.startedAt ? record : null;
  } catch {
    return null;
  }
}
