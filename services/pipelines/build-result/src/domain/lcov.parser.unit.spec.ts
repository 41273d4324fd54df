import { percentagesOf } from './coverage-report';
import { parseLcov } from './lcov.parser';
import type { ReportError } from './report.error';
import { fixture } from './report.test-fixture';

const parse = (name: string) => parseLcov(fixture(name), `runs/r4/${name}`);

describe('lcov parser', () => {
  it('sums LF/LH, BRF/BRH and FNF/FNH over the records', () => {
    const counts = parse('lcov.info');
    expect(counts).toEqual({ lines: { covered: 6, total: 8 }, branches: { covered: 1, total: 2 }, functions: { covered: 3, total: 4 } });
    expect(percentagesOf(counts)).toEqual({ lines: 75, branches: 50, functions: 75 });
  });

  it('counts a record without summary lines from its DA, BRDA and FN/FNDA lines', () => {
    const text = ['SF:/src/a.ts', 'FN:1,a', 'FN:4,b', 'FNDA:2,a', 'FNDA:0,b', 'DA:1,2', 'DA:2,0', 'DA:4,0', 'BRDA:2,0,0,1', 'BRDA:2,0,1,-', 'end_of_record', ''].join('\n');
    expect(parseLcov(text, 'f.info')).toEqual({ lines: { covered: 1, total: 3 }, branches: { covered: 1, total: 2 }, functions: { covered: 1, total: 2 } });
  });

  it('reads CRLF line ends', () => {
    expect(parseLcov(fixture('lcov.info').replace(/\n/g, '\r\n'), 'f.info').lines).toEqual({ covered: 6, total: 8 });
  });

  describe('malformed reports are coded errors naming the file', () => {
    const failure = (name: string) => {
      try {
        parse(name);
      } catch (error) {
        return error as ReportError;
      }
      throw new Error(`${name} parsed`);
    };

    it('a record that never ends (a truncated file)', () => {
      expect(failure('bad-lcov-truncated.info')).toMatchObject({ code: 'report.invalid-lcov', message: 'runs/r4/bad-lcov-truncated.info: the record of /src/cart.ts (line 2) has no end_of_record: truncated?' });
    });

    it('a count that is not a number', () => {
      expect(failure('bad-lcov-number.info')).toMatchObject({ code: 'report.invalid-number', message: 'runs/r4/bad-lcov-number.info: line 18 LH is "four", not a non-negative integer' });
    });

    it('a line that is not KEY:value', () => {
      expect(() => parseLcov('SF:/a.ts\nDA:1,1\nthis is not lcov\nend_of_record\n', 'f.info')).toThrow(expect.objectContaining({ code: 'report.invalid-lcov', message: expect.stringContaining('line 3 is not an lcov KEY:value line') }));
    });

    it('data before any SF:', () => {
      expect(() => parseLcov('DA:1,1\nend_of_record\n', 'f.info')).toThrow(expect.objectContaining({ code: 'report.invalid-lcov' }));
    });

    it('LH above LF', () => {
      expect(() => parseLcov('SF:/a.ts\nLF:2\nLH:3\nend_of_record\n', 'f.info')).toThrow(expect.objectContaining({ code: 'report.inconsistent' }));
    });

    it('no record at all', () => {
      expect(() => parseLcov('TN:\n', 'f.info')).toThrow(expect.objectContaining({ code: 'report.invalid-lcov', message: 'f.info: no SF:…end_of_record record' }));
    });
  });
});
