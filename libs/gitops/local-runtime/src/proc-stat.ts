import { readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  /** R, S, D, Z (zombie), X (dead), T, ... */
  state: string;
  /** field 22: clock ticks since boot at which the process started; with the pid it identifies a process */
  startTime: number;
}

/** Parses /proc/<pid>/stat. The comm field (2) may hold spaces and parentheses: fields are counted after the last ')'. */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`unparseable /proc stat: ${text.slice(0, 80)}`);
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 1).trim().split(/\s+/);
  // rest[0] is field 3 (state), so field n is rest[n - 3]
  const state = rest[0];
  const startTime = Number(rest[22 - 3]);
  if (!Number.isInteger(pid) || !state || !Number.isFinite(startTime)) throw new Error(`unparseable /proc stat: ${text.slice(0, 80)}`);
  return { pid, state, startTime };
}

export function readProcStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** Alive = the pid exists, is not a zombie and started when we recorded (else the pid was recycled). */
export function isSameProcessAlive(pid: number, startTime: number, read: (pid: number) => ProcStat | null = readProcStat): boolean {
  const stat = read(pid);
  return stat !== null && stat.state !== 'Z' && stat.state !== 'X' && stat.startTime === startTime;
}
