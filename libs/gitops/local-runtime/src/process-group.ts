import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { isSameProcessAlive } from './proc-stat';

export interface SpawnSpec {
  command: string[];
  cwd: string;
  env: Record<string, string>;
  logFile: string;
}

/** Spawns argv (no shell) as the leader of its own process group, stdout/stderr appended to the log file. */
export function spawnDetached(spec: SpawnSpec): ChildProcess {
  mkdirSync(path.dirname(spec.logFile), { recursive: true });
  const fd = openSync(spec.logFile, 'a');
  try {
    const [file, ...args] = spec.command;
    const child = spawn(file ?? '', args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', fd, fd] });
    // the supervisor may exit and a successor adopt the process: our event loop must not wait for it
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}

/** Signals the whole group (negative pid); a vanished group is not an error. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export async function waitDead(pid: number, startTime: number, timeoutMs: number, pollMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isSameProcessAlive(pid, startTime)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
