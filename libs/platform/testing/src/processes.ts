import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

// From the sources (Jest) or from dist/ (the benchmarks run compiled): the repository root either way.
const fromHere = path.resolve(__dirname, '../../../..');
const root = path.basename(fromHere) === 'dist' ? path.dirname(fromHere) : fromHere;

/** The repository root, for paths of compiled entry points and tools. */
export const REPO_ROOT = root;
let built = false;

// Crash and end-to-end tests run the code as separate processes from the compiled tree (dist/), like production.
// `npm test` builds before Jest and says so with DIST_FRESH; a lone Jest run compiles (incremental) here.
export function buildOnce(): void {
  if (built || process.env.DIST_FRESH === '1') return;
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  built = true;
}

export interface Child {
  process: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  ready: Promise<void>;
}

/** Forks a source entry point (absolute, or relative to the repository root) from its compiled form in dist/. */
export function spawnCompiled(sourceFile: string, env: Record<string, string>): Child {
  const compiled = path.join(root, 'dist', path.relative(root, path.resolve(root, sourceFile))).replace(/\.ts$/, '.js');
  const child = fork(compiled, [], {
    cwd: root,
    env: { ...process.env, ...env },
    execArgv: ['-r', path.join(root, 'tools/register.js')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // Resolves on the child's first IPC message; entry points that never send one simply leave it pending.
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    void exited.then(({ code, signal }) => reject(new Error(`${path.basename(sourceFile)} exited before ready (code ${code}, signal ${signal})`)));
  });
  ready.catch(() => undefined); // awaited by callers that care; never an unhandled rejection
  return { process: child, exited, ready };
}

/** Polls until check() returns a value (not undefined) or the time is up; errors thrown by check count as "not yet". */
export async function eventually<T>(check: () => Promise<T | undefined>, what = 'condition', timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
