import { isSameProcessAlive, parseProcStat, readProcStat, type ProcStat } from './proc-stat';

// Real /proc/<pid>/stat lines (Linux 6.x), the second with a comm holding spaces and parentheses.
const plain = '4242 (node) S 4200 4242 4242 0 -1 4194560 1234 0 0 0 12 3 0 0 20 0 11 0 987654 1100000000 12000 18446744073709551615 1 1 0 0 0 0 0 4096 134234626 0 0 0 17 1 0 0 0 0 0';
const tricky = '77 (my (weird) proc) Z 1 77 77 0 -1 4194316 0 0 0 0 0 0 0 0 20 0 1 0 5555 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0';

describe('parseProcStat', () => {
  it('reads pid, state and the start time (field 22)', () => {
    expect(parseProcStat(plain)).toEqual({ pid: 4242, state: 'S', startTime: 987654 });
  });

  it('counts fields after the last ")" of the comm', () => {
    expect(parseProcStat(tricky)).toEqual({ pid: 77, state: 'Z', startTime: 5555 });
  });

  it('refuses a truncated line', () => {
    expect(() => parseProcStat('12 (x')).toThrow(/unparseable/);
    expect(() => parseProcStat('12 (x) S 1 2')).toThrow(/unparseable/);
  });

  it('parses this very process', () => {
    const stat = readProcStat(process.pid);
    expect(stat?.pid).toBe(process.pid);
    expect(stat?.state).toMatch(/[RS]/);
    expect(stat?.startTime).toBeGreaterThan(0);
  });
});

describe('isSameProcessAlive', () => {
  const reading = (stat: ProcStat | null) => () => stat;

  it('alive when the start time matches and the process is not a zombie', () => {
    expect(isSameProcessAlive(4242, 987654, reading({ pid: 4242, state: 'S', startTime: 987654 }))).toBe(true);
  });

  it('dead when the pid is gone', () => {
    expect(isSameProcessAlive(4242, 987654, reading(null))).toBe(false);
  });

  it('dead when the pid was recycled (another start time)', () => {
    expect(isSameProcessAlive(4242, 987654, reading({ pid: 4242, state: 'S', startTime: 999999 }))).toBe(false);
  });

  it('dead when the process is a zombie', () => {
    expect(isSameProcessAlive(77, 5555, reading({ pid: 77, state: 'Z', startTime: 5555 }))).toBe(false);
  });
});
