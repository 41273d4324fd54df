import { parseCobertura } from './cobertura.parser';
import { percentagesOf } from './coverage-report';
import type { ReportError } from './report.error';
import { fixture } from './report.test-fixture';

const parse = (name: string) => parseCobertura(fixture(name), `runs/r3/${name}`);

describe('Cobertura parser', () => {
  it('takes lines and branches from the count attributes and functions from the methods that ran', () => {
    const counts = parse('cobertura-coverlet.xml');
    expect(counts).toEqual({ lines: { covered: 6, total: 8 }, branches: { covered: 2, total: 4 }, functions: { covered: 2, total: 3 } });
    expect(percentagesOf(counts)).toEqual({ lines: 75, branches: 50, functions: 66.67 });
  });

  it('counts the class lines of a classic report without count attributes (DOCTYPE and all), functions null without methods', () => {
    const counts = parse('cobertura-classic.xml');
    expect(counts).toEqual({ lines: { covered: 2, total: 4 }, branches: { covered: 0, total: 0 }, functions: { covered: 0, total: 0 } });
    expect(percentagesOf(counts)).toEqual({ lines: 50, branches: null, functions: null });
  });

  it('counts branches from condition-coverage when the root has no branch counts', () => {
    const xml = `<coverage line-rate="1" branch-rate="0.75"><packages><package name="p"><classes><class name="C" filename="c.ts">
      <lines><line number="1" hits="1" branch="true" condition-coverage="75% (3/4)"/></lines></class></classes></package></packages></coverage>`;
    expect(parseCobertura(xml, 'f.xml')).toEqual({ lines: { covered: 1, total: 1 }, branches: { covered: 3, total: 4 }, functions: { covered: 0, total: 0 } });
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

    it('a rate that is not a number (NaN, as some tools write for empty modules)', () => {
      expect(failure('bad-cobertura-rate.xml')).toMatchObject({ code: 'report.invalid-number', message: 'runs/r3/bad-cobertura-rate.xml: <coverage> line-rate is "NaN", not a non-negative number' });
    });

    it('a root without line-rate', () => {
      expect(failure('bad-cobertura-no-rates.xml')).toMatchObject({ code: 'report.missing-attribute', message: 'runs/r3/bad-cobertura-no-rates.xml: <coverage> has no line-rate attribute' });
    });

    it('a rate with nothing to count (it cannot be merged, and is not zero)', () => {
      expect(failure('bad-cobertura-rates-only.xml')).toMatchObject({ code: 'report.missing-attribute', message: expect.stringContaining('line-rate is 0.8 but there is neither') });
    });

    it('a rate above 1', () => {
      expect(() => parseCobertura('<coverage line-rate="75" branch-rate="0"/>', 'f.xml')).toThrow(expect.objectContaining({ code: 'report.invalid-number' }));
    });

    it('line hits that are not a number', () => {
      const xml = `<coverage line-rate="0" branch-rate="0"><packages><package><classes><class><lines><line number="3" hits="many"/></lines></class></classes></package></packages></coverage>`;
      expect(() => parseCobertura(xml, 'f.xml')).toThrow(expect.objectContaining({ code: 'report.invalid-number', message: 'f.xml: <line number="3"> hits is "many", not a non-negative integer' }));
    });

    it('more lines covered than valid', () => {
      expect(() => parseCobertura('<coverage line-rate="1" branch-rate="0" lines-covered="9" lines-valid="8"/>', 'f.xml')).toThrow(expect.objectContaining({ code: 'report.inconsistent' }));
    });

    it('a JUnit file is the wrong root', () => {
      expect(() => parseCobertura(fixture('junit-jest.xml'), 'f.xml')).toThrow(expect.objectContaining({ code: 'report.wrong-root' }));
    });
  });
});
