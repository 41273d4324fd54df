import { ReportError } from './report.error';
import { fixture } from './report.test-fixture';
import { parseTrx } from './trx.parser';
import { textOf } from './xml.tree';

const parse = (name: string) => parseTrx(fixture(name), `runs/r2/${name}`);

describe('TRX parser', () => {
  it('counts results by outcome, sums durations and names failures by class with their ErrorInfo message', () => {
    expect(parse('dotnet.trx')).toEqual({
      total: 4,
      passed: 2,
      failed: 1,
      skipped: 1,
      durationMs: 1762,
      failures: [{ suite: 'Shop.Tests.CartTests', name: 'Shop.Tests.CartTests.AppliesDiscount', message: 'Assert.Equal() Failure\nExpected: 90\nActual:   100' }],
    });
  });

  it('reads a UTF-16 file with its byte order mark, as Visual Studio writes it', () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(fixture('dotnet.trx').replace('utf-8', 'utf-16'), 'utf16le')]);
    expect(parseTrx(textOf(bytes), 'f.trx')).toMatchObject({ total: 4, failed: 1 });
  });

  it('falls back to ResultSummary/Counters when the run recorded no results', () => {
    const xml = `<TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010"><ResultSummary outcome="Failed">
      <Counters total="10" executed="9" passed="6" failed="2" error="1" timeout="0" aborted="0" inconclusive="0" notExecuted="1"/></ResultSummary></TestRun>`;
    expect(parseTrx(xml, 'f.trx')).toEqual({ total: 10, passed: 6, failed: 3, skipped: 1, failures: [] });
  });

  it('reads durations with days and the full seven fraction digits', () => {
    const xml = `<TestRun><Results><UnitTestResult testName="long" outcome="Passed" duration="1.02:03:04.5000000"/></Results></TestRun>`;
    expect(parseTrx(xml, 'f.trx').durationMs).toBe(((24 + 2) * 3600 + 3 * 60 + 4) * 1000 + 500);
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

    it('a duration that is not a time span', () => {
      expect(failure('bad-trx-duration.trx')).toMatchObject({
        code: 'report.invalid-number',
        message: 'runs/r2/bad-trx-duration.trx: duration "250ms" of Shop.Tests.CartTests.AppliesDiscount is not a hh:mm:ss.fffffff time span',
      });
    });

    it('an outcome TRX does not have', () => {
      expect(failure('bad-trx-outcome.trx')).toMatchObject({ code: 'report.invalid-value', message: expect.stringContaining('has outcome "Skipped", not a TRX outcome') });
    });

    it('a run with neither results nor counters', () => {
      expect(failure('bad-trx-empty-run.trx')).toMatchObject({ code: 'report.missing-element', file: 'runs/r2/bad-trx-empty-run.trx' });
    });

    it('a JUnit file is the wrong root', () => {
      expect(failure('junit-jest.xml')).toMatchObject({ code: 'report.wrong-root' });
    });

    it('counters that are not numbers', () => {
      expect(() => parseTrx('<TestRun><ResultSummary><Counters total="4" passed="all"/></ResultSummary></TestRun>', 'f.trx')).toThrow(expect.objectContaining({ code: 'report.invalid-number' }));
    });

    it('a result without a testName', () => {
      expect(() => parseTrx('<TestRun><Results><UnitTestResult outcome="Passed"/></Results></TestRun>', 'f.trx')).toThrow(expect.objectContaining({ code: 'report.missing-attribute' }));
    });
  });
});
