import { readCobertura } from './cobertura.parser';
import type { CoverageCounts } from './coverage-report';
import { readJUnit } from './junit.parser';
import { looksLikeLcov, parseLcov } from './lcov.parser';
import { ReportError } from './report.error';
import type { TestReport } from './test-report';
import { readTrx } from './trx.parser';
import { looksLikeXml, parseXml, textOf } from './xml.tree';

export type ReportFormat = 'junit' | 'trx' | 'cobertura' | 'lcov';
/** which list of PipelineRunFinished.outputs a report came in */
export type ReportFamily = 'tests' | 'coverage';

export type ParsedReport =
  | { family: 'tests'; format: 'junit' | 'trx'; report: TestReport }
  | { family: 'coverage'; format: 'cobertura' | 'lcov'; counts: CoverageCounts };

export interface ReportSource {
  /** the name errors use: the artifact's location */
  file: string;
  bytes: Buffer;
  /** the ArtifactRef's kind */
  kind: string;
  family: ReportFamily;
}

const FAMILY_OF_KIND: Record<string, ReportFamily> = { 'test-results': 'tests', coverage: 'coverage' };
const ROOTS: Record<string, ReportFormat> = { testsuites: 'junit', testsuite: 'junit', TestRun: 'trx', coverage: 'cobertura' };

// The format comes from the content (root element, or lcov's SF:/TN: lines); the kind and the list the artifact
// came in say what it should be, and a report that is something else is an error rather than a guess.
export function parseReport(source: ReportSource): ParsedReport {
  const { file, kind, family } = source;
  const kindFamily = FAMILY_OF_KIND[kind];
  if (kindFamily !== undefined && kindFamily !== family) {
    throw new ReportError('report.kind-mismatch', file, `an artifact of kind ${kind} listed among the ${family === 'tests' ? 'test results' : 'coverage reports'}`);
  }
  const text = textOf(source.bytes);
  if (text.trim() === '') throw new ReportError('report.unknown-format', file, 'the file is empty');
  if (!looksLikeXml(text)) {
    if (looksLikeLcov(text)) return expect(family, 'lcov', file, () => ({ family: 'coverage', format: 'lcov', counts: parseLcov(text, file) }));
    throw new ReportError(family === 'tests' ? 'report.not-xml' : 'report.unknown-format', file, family === 'tests' ? 'not XML (JUnit or TRX expected)' : 'neither XML (Cobertura) nor lcov');
  }
  const root = parseXml(text, file);
  const format = ROOTS[root.name];
  if (format === undefined) {
    throw new ReportError('report.wrong-root', file, `root element <${root.name}> is none of JUnit (<testsuites>, <testsuite>), TRX (<TestRun>) or Cobertura (<coverage>)`);
  }
  return expect(family, format, file, (): ParsedReport => {
    if (format === 'junit') return { family: 'tests', format, report: readJUnit(root, file) };
    if (format === 'trx') return { family: 'tests', format, report: readTrx(root, file) };
    return { family: 'coverage', format: 'cobertura', counts: readCobertura(root, file) };
  });
}

function expect(family: ReportFamily, format: ReportFormat, file: string, parse: () => ParsedReport): ParsedReport {
  const actual: ReportFamily = format === 'junit' || format === 'trx' ? 'tests' : 'coverage';
  if (actual !== family) {
    throw new ReportError('report.kind-mismatch', file, `a ${format} ${actual === 'tests' ? 'test report' : 'coverage report'} listed among the ${family === 'tests' ? 'test results' : 'coverage reports'}`);
  }
  return parse();
}
