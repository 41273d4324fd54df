import { parseJUnit } from './junit.parser';
import { ReportError } from './report.error';
import { fixture } from './report.test-fixture';

const parse = (name: string) => parseJUnit(fixture(name), `runs/r1/${name}`);

describe('JUnit parser', () => {
  it('counts a jest-junit report: passed, failed (with its first line as message), skipped and the root time', () => {
    expect(parse('junit-jest.xml')).toEqual({
      total: 5,
      passed: 3,
      failed: 1,
      skipped: 1,
      durationMs: 2413,
      failures: [{ suite: 'cart', name: 'cart applies a discount', message: 'Error: expect(received).toBe(expected) // Object.is equality' }],
    });
  });

  it('reads a single <testsuite> root (Surefire) and counts an <error> as failed', () => {
    expect(parse('junit-surefire.xml')).toEqual({
      total: 4,
      passed: 2,
      failed: 1,
      skipped: 1,
      durationMs: 870,
      failures: [{ suite: 'com.acme.shop.OrderServiceTest', name: 'chargesCard', message: 'Connection refused' }],
    });
  });

  it('walks nested suites, naming the innermost suite and adding up times where a suite has none', () => {
    const report = parse('junit-nested.xml');
    expect(report).toMatchObject({ total: 5, passed: 3, failed: 1, skipped: 1, durationMs: 1800 });
    expect(report.failures).toEqual([{ suite: 'api.users', name: 'creates a user', message: 'expected 201, got 500' }]);
  });

  it('counts a summary-only suite from its attributes, and leaves durationMs out when nothing is timed', () => {
    const xml = '<testsuites><testsuite name="legacy" tests="7" failures="1" errors="1" skipped="2"/></testsuites>';
    expect(parseJUnit(xml, 'f.xml')).toEqual({ total: 7, passed: 3, failed: 2, skipped: 2, failures: [] });
  });

  it('reads an empty <testsuites/> as a run without tests', () => {
    expect(parseJUnit('<?xml version="1.0"?><testsuites/>', 'f.xml')).toEqual({ total: 0, passed: 0, failed: 0, skipped: 0, failures: [] });
  });

  it('clips a long failure message to the contract limit', () => {
    const xml = `<testsuite name="s"><testcase name="t"><failure message="${'x'.repeat(5000)}"/></testcase></testsuite>`;
    expect(parseJUnit(xml, 'f.xml').failures[0]!.message).toHaveLength(2000);
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

    it('a truncated file is not-xml, with the line', () => {
      const error = failure('bad-junit-truncated.xml');
      expect(error).toBeInstanceOf(ReportError);
      expect(error.code).toBe('report.not-xml');
      expect(error.message).toMatch(/^runs\/r1\/bad-junit-truncated\.xml: not well-formed XML \(line \d+/);
    });

    it('an NUnit <test-run> is the wrong root', () => {
      expect(failure('bad-junit-nunit-root.xml')).toMatchObject({ code: 'report.wrong-root', message: 'runs/r1/bad-junit-nunit-root.xml: root element is <test-run>, JUnit has <testsuites> or <testsuite>' });
    });

    it('a time that is not a number', () => {
      expect(failure('bad-junit-time.xml')).toMatchObject({ code: 'report.invalid-number', message: expect.stringContaining('<testsuite> time is "1.2s"') });
    });

    it('a count that is not a number', () => {
      expect(failure('bad-junit-count.xml')).toMatchObject({ code: 'report.invalid-number', message: expect.stringContaining('<testsuites> tests is "two"') });
    });

    it('a testcase without a name', () => {
      expect(failure('bad-junit-unnamed-testcase.xml')).toMatchObject({ code: 'report.missing-attribute', message: 'runs/r1/bad-junit-unnamed-testcase.xml: <testcase> has no name attribute' });
    });

    it('summary counts that do not add up', () => {
      expect(() => parseJUnit('<testsuite name="s" tests="1" failures="2"/>', 'f.xml')).toThrow(expect.objectContaining({ code: 'report.inconsistent' }));
    });

    it('text that is not XML at all', () => {
      expect(() => parseJUnit('all tests passed', 'f.xml')).toThrow(expect.objectContaining({ code: 'report.not-xml' }));
    });
  });
});
