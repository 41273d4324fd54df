import { execFileSync } from 'node:child_process';

/**
 * Makes a directory tree read-only for the tests of "the disk refuses writes". Root ignores permission bits, so as
 * root the tree is made immutable (`chattr +i`, ext4/xfs); otherwise its write bits are removed. release() undoes it.
 */
export function makeReadOnly(path: string): { release(): void } {
  const root = process.getuid?.() === 0;
  if (root) execFileSync('chattr', ['-R', '+i', path]);
  else execFileSync('chmod', ['-R', 'a-w', path]);
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      if (root) execFileSync('chattr', ['-R', '-i', path]);
      else execFileSync('chmod', ['-R', 'u+w', path]);
    },
  };
}
