import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

// A run's own directories, Azure-agent style: s (sources), a (artifact staging), b (binaries), _temp, logs.
export interface Workspace {
  root: string;
  sources: string;
  staging: string;
  binaries: string;
  temp: string;
  logs: string;
}

export function workspaceOf(workDir: string, runId: string): Workspace {
  const root = join(workDir, runId);
  return { root, sources: join(root, 's'), staging: join(root, 'a'), binaries: join(root, 'b'), temp: join(root, '_temp'), logs: join(root, 'logs') };
}

/** A fresh checkout of `sha` from the bare repository (a path or a clone URL) into the run's workspace. */
export async function checkout(workspace: Workspace, source: string, sha: string): Promise<void> {
  await rm(workspace.root, { recursive: true, force: true });
  for (const dir of [workspace.staging, workspace.binaries, workspace.temp, workspace.logs]) await mkdir(dir, { recursive: true });
  const env = gitEnv(workspace.temp);
  await run('git', ['clone', '--no-checkout', '--quiet', source, workspace.sources], { env });
  await run('git', ['-C', workspace.sources, '-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', sha], { env });
}

export async function removeWorkspace(workspace: Workspace): Promise<void> {
  await rm(workspace.root, { recursive: true, force: true });
}

// only PATH from the host: no user or system git config applies to a checkout
function gitEnv(home: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
}
