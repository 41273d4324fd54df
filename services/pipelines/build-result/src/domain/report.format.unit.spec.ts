import { mergeCoverage, percentagesOf, type CoverageCounts } from './coverage-report';
import { parseReport, type ParsedReport, type ReportFamily } from './report.format';
import { fixtureBytes } from './report.test-fixture';

const parse = (name: string, family: ReportFamily, kind = family === 'tests' ? 'test-results' : 'coverage'): ParsedReport => parseReport({ file: `runs/r5/${name}`, bytes: fixtureBytes(name), kind, family });

const counts = (parsed: ParsedReport): CoverageCounts => {
  if (parsed.family !== 'coverage') throw new Error('not coverage');
  return parsed.counts;
};

describe('report format detection', () => {
  it.each([
    ['junit-jest.xml', 'tests', 'junit'],
    ['junit-surefire.xml', 'tests', 'junit'],
    ['dotnet.trx', 'tests', 'trx'],
    ['cobertura-coverlet.xml', 'coverage', 'cobertura'],
    ['lcov.info', 'coverage', 'lcov'],
  ] as const)('%s is %s/%s by its content', (name, family, format) => {
    expect(parse(name, family)).toMatchObject({ family, format });
  });

  it('decides by content, not by the file name or a generic kind', () => {
    expect(parse('dotnet.trx', 'tests', 'file')).toMatchObject({ format: 'trx' });
  });

  it('reads a UTF-8 file with a byte order mark', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), fixtureBytes('junit-jest.xml')]);
    expect(parseReport({ file: 'f.xml', bytes, kind: 'test-results', family: 'tests' })).toMatchObject({ format: 'junit', report: { total: 5 } });
  });

  it('refuses a coverage report listed among test results, and a test-results kind listed as coverage', () => {
    expect(() => parse('lcov.info', 'tests')).toThrow(expect.objectContaining({ code: 'report.kind-mismatch', message: 'runs/r5/lcov.info: a lcov coverage report listed among the test results' }));
    expect(() => parse('cobertura-coverlet.xml', 'tests')).toThrow(expect.objectContaining({ code: 'report.kind-mismatch' }));
    expect(() => parse('junit-jest.xml', 'coverage', 'test-results')).toThrow(expect.objectContaining({ code: 'report.kind-mismatch' }));
  });

  it('refuses a log where a report should be, an empty file and an unknown XML root', () => {
    expect(() => parse('bad-not-a-report.txt', 'tests')).toThrow(expect.objectContaining({ code: 'report.not-xml', message: 'runs/r5/bad-not-a-report.txt: not XML (JUnit or TRX expected)' }));
    expect(() => parse('bad-not-a-report.txt', 'coverage')).toThrow(expect.objectContaining({ code: 'report.unknown-format' }));
    expect(() => parseReport({ file: 'e.xml', bytes: Buffer.alloc(0), kind: 'test-results', family: 'tests' })).toThrow(expect.objectContaining({ code: 'report.unknown-format' }));
    expect(() => parse('bad-junit-nunit-root.xml', 'tests')).toThrow(expect.objectContaining({ code: 'report.wrong-root' }));
  });
});

describe('merged coverage', () => {
  it('sums covered and total across reports of both formats instead of averaging percentages', () => {
    // lcov: lines 6/8, branches 1/2, functions 3/4; classic Cobertura: lines 2/4 and no branches or functions
    const merged = mergeCoverage([counts(parse('lcov.info', 'coverage')), counts(parse('cobertura-classic.xml', 'coverage'))]);
    expect(merged).toEqual({ lines: { covered: 8, total: 12 }, branches: { covered: 1, total: 2 }, functions: { covered: 3, total: 4 } });
    // 8/12, where the average of 75 % and 50 % would say 62.5
    expect(percentagesOf(merged)).toEqual({ lines: 66.67, branches: 50, functions: 75 });
  });

  it('is null per metric when no report measured it', () => {
    expect(percentagesOf(mergeCoverage([counts(parse('cobertura-classic.xml', 'coverage'))]))).toEqual({ lines: 50, branches: null, functions: null });
    expect(percentagesOf(mergeCoverage([]))).toEqual({ lines: null, branches: null, functions: null });
  });
});
