import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@delivery/testing';
import { matchFiles } from './file.matcher';
import { groupMembers, killGroup, processAlive, spawnGroup } from './process-group';

// Real processes and files: the process-group kill (SIGTERM, grace, SIGKILL) and the publish tasks' file matching.
describe('local runner primitives', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runner-primitives-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('kills a whole process group, SIGKILLing a member that ignores SIGTERM after the grace', async () => {
    const log = openSync(join(dir, 'group.log'), 'a');
    const script = `trap '' TERM; bash -c "trap '' TERM; sleep 600" & echo $! > ${dir}/stubborn.pid; sleep 600 & echo $! > ${dir}/plain.pid; wait`;
    const child = spawnGroup('bash', ['-c', script], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, logFd: log });
    closeSync(log);
    // outer bash, the trapping inner shell (or its sleep, when bash execs it), the plain sleep
    await eventually(async () => (groupMembers(child.pid).length >= 3 && existsSync(join(dir, 'plain.pid')) ? true : undefined), 'the group is up').catch(async (error: unknown) => {
      await killGroup(child.pid, 0);
      throw error;
    });
    const pids = [child.pid, Number(readFileSync(join(dir, 'stubborn.pid'), 'utf8')), Number(readFileSync(join(dir, 'plain.pid'), 'utf8'))];
    const started = Date.now();
    await killGroup(child.pid, 500);
    const elapsed = Date.now() - started;
    // the plain sleep died on SIGTERM; the trapping ones needed the SIGKILL after the grace
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(groupMembers(child.pid)).toEqual([]);
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
    expect((await child.exited).signal).toBe('SIGKILL');
  });

  it('returns at once when the group is gone after SIGTERM', async () => {
    const child = spawnGroup('sleep', ['600'], { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, logFd: openSync('/dev/null', 'a') });
    const started = Date.now();
    await killGroup(child.pid, 5_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await child.exited).signal).toBe('SIGTERM');
  });

  it('matches globs Azure-style: one a line, ! excludes, absolute patterns, .git and node_modules skipped', async () => {
    const root = join(dir, 'tree');
    for (const sub of ['reports/old', 'node_modules/x', '.git', 'app']) await mkdir(join(root, sub), { recursive: true });
    for (const file of ['reports/TEST-a.xml', 'reports/old/TEST-b.xml', 'node_modules/x/TEST-c.xml', '.git/TEST-d.xml', 'app/TEST-e.xml', 'app/other.xml']) await writeFile(join(root, file), 'x');
    expect(await matchFiles(['**/TEST-*.xml', '!**/old/**'], root)).toEqual([join(root, 'app/TEST-e.xml'), join(root, 'reports/TEST-a.xml')]);
    expect(await matchFiles([`${root}/app/*.xml`], dir)).toEqual([join(root, 'app/TEST-e.xml'), join(root, 'app/other.xml')]);
    expect(await matchFiles(['node_modules/**/TEST-*.xml'], root)).toEqual([join(root, 'node_modules/x/TEST-c.xml')]);
    expect(await matchFiles(['missing/**/*.xml'], root)).toEqual([]);
  });
});
