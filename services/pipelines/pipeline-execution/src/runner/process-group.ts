import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

// A step is a process group of its own (spawned detached): killing the group reaches what the step started in the
// background too. Liveness is read from /proc so that a zombie (killed, not yet reaped by a parent that is gone)
// counts as gone: PID 1 of a container does not always reap orphans.

export interface StepProcess {
  pid: number;
  /** resolves when the group leader exits */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnGroup(command: string, args: readonly string[], options: { cwd: string; env: Record<string, string>; logFd: number }): StepProcess {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', options.logFd, options.logFd] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', () => resolve({ code: 127, signal: null }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  if (child.pid === undefined) return { pid: -1, exited };
  return { pid: child.pid, exited };
}

/** The live (non-zombie) members of a process group. */
export function groupMembers(pgid: number): number[] {
  if (pgid <= 0) return [];
  const members: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return isSignalable(-pgid) ? [pgid] : [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statOf(Number(entry));
    if (stat && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') members.push(Number(entry));
  }
  return members;
}

/** Whether a process exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  if (pid <= 0 || !isSignalable(pid)) return false;
  const stat = statOf(pid);
  return stat === undefined ? true : stat.state !== 'Z' && stat.state !== 'X';
}

/** SIGTERM to the group, then SIGKILL to whatever is left after `graceMs`; resolves once the group is empty (or 2 s after SIGKILL). */
export async function killGroup(pgid: number, graceMs: number): Promise<void> {
  if (pgid <= 0) return;
  signalGroup(pgid, 'SIGTERM');
  const termDeadline = Date.now() + graceMs;
  while (Date.now() < termDeadline && groupMembers(pgid).length > 0) await sleep(50);
  if (groupMembers(pgid).length === 0) return;
  signalGroup(pgid, 'SIGKILL');
  const killDeadline = Date.now() + 2_000;
  while (Date.now() < killDeadline && groupMembers(pgid).length > 0) await sleep(20);
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone
  }
}

function isSignalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function statOf(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may hold spaces and parentheses: the fields start after the last ')'
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}
