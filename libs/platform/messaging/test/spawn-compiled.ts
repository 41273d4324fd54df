import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../../../..');
let built = false;

// Crash tests run the code as separate processes from the compiled tree (dist/), like production does.
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

export function spawnCompiled(sourceFile: string, env: Record<string, string>): Child {
  const compiled = path.join(root, 'dist', path.relative(root, sourceFile)).replace(/\.ts$/, '.js');
  const child = fork(compiled, [], {
    cwd: root,
    env: { ...process.env, ...env },
    execArgv: ['-r', path.join(root, 'tools/register.js')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    void exited.then(({ code, signal }) => reject(new Error(`${path.basename(sourceFile)} exited before ready (code ${code}, signal ${signal})`)));
  });
  return { process: child, exited, ready };
}
