// The one place that runs git: execFile (no shell), a fixed environment so no user or system config leaks in,
// and every unexpected failure mapped to GitUnavailableError with git's stderr.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { GitUnavailableError } from './git-provider.port';

export interface GitRunOptions {
  /** the bare repository (passed as --git-dir, so git never discovers another repository) */
  gitDir?: string;
  input?: string | Buffer;
  env?: Record<string, string>;
  /** exit codes that are answers, not failures (e.g. 1 for `rev-parse --verify --quiet`) */
  okExitCodes?: number[];
}

export interface GitRunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

const MAX_BUFFER = 512 * 1024 * 1024;

export class GitCli {
  private readonly baseEnv: Record<string, string>;

  constructor(
    private readonly binary: string,
    homeDir: string,
  ) {
    // built from scratch: only PATH survives from the host, so GIT_DIR, GIT_* and the user's config never apply
    this.baseEnv = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: homeDir,
      XDG_CONFIG_HOME: join(homeDir, '.config'),
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      GIT_OPTIONAL_LOCKS: '0',
      LC_ALL: 'C',
      LANG: 'C',
    };
  }

  run(args: readonly string[], options: GitRunOptions = {}): Promise<GitRunResult> {
    // hooks never run (reference-transaction would fire on update-ref); wait for a contended ref lock rather than fail
    const fullArgs = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.filesRefLockTimeout=5000', '-c', 'gc.auto=0'];
    if (options.gitDir) fullArgs.push(`--git-dir=${options.gitDir}`);
    fullArgs.push(...args);
    const command = `git ${args.slice(0, 2).join(' ')}`;
    return new Promise((resolve, reject) => {
      const child = execFile(
        this.binary,
        fullArgs,
        { env: { ...this.baseEnv, ...options.env }, encoding: 'buffer', maxBuffer: MAX_BUFFER, windowsHide: true },
        (error, stdout, stderr) => {
          const stderrText = stderr.toString('utf8').trim();
          if (error && typeof error.code !== 'number') {
            // spawn failure (missing binary, EACCES) or maxBuffer: there was no git answer at all
            reject(new GitUnavailableError('git-unavailable', `${command} could not run: ${error.message}`, { args: [...args] }));
            return;
          }
          const code = error ? (error.code as number) : 0;
          if (code !== 0 && !(options.okExitCodes ?? []).includes(code)) {
            reject(new GitUnavailableError('git-failed', `${command} failed (exit ${code}): ${stderrText || '(no stderr)'}`, { args: [...args], exitCode: code, stderr: stderrText }));
            return;
          }
          resolve({ code, stdout, stderr: stderrText });
        },
      );
      child.stdin?.on('error', () => undefined); // git may exit before reading stdin; the exit code tells the story
      child.stdin?.end(options.input ?? '');
    });
  }

  async text(args: readonly string[], options: GitRunOptions = {}): Promise<string> {
    return (await this.run(args, options)).stdout.toString('utf8');
  }
}
