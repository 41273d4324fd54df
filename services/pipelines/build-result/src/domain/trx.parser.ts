import { ReportError } from './report.error';
import { clip } from './report.numbers';
import { failureOf, type TestFailure, type TestReport } from './test-report';
import { childNamed, optional, optionalCount, parseXml, required, type XmlElement } from './xml.tree';

// Visual Studio / `dotnet test --logger trx` results: TestRun/Results holds one element per test (UnitTestResult,
// or another *Result kind) with its outcome and duration; TestRun/ResultSummary/Counters is the summary. The results
// are the truth; the counters are read only when a run recorded no results (and are checked to be numbers anyway).

type Bucket = 'passed' | 'failed' | 'skipped';

// TestOutcome of the TRX schema (vstst.xsd)
const OUTCOMES: Record<string, Bucket> = {
  Passed: 'passed',
  PassedButRunAborted: 'passed',
  Warning: 'passed',
  Completed: 'passed',
  Failed: 'failed',
  Error: 'failed',
  Timeout: 'failed',
  Aborted: 'failed',
  Disconnected: 'failed',
  NotExecuted: 'skipped',
  Inconclusive: 'skipped',
  NotRunnable: 'skipped',
  Pending: 'skipped',
  InProgress: 'skipped',
};

// TimeSpan as .NET writes it: [d.]hh:mm:ss[.fffffff]
const DURATION = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/;

export function parseTrx(text: string, file: string): TestReport {
  return readTrx(parseXml(text, file), file);
}

export function readTrx(root: XmlElement, file: string): TestReport {
  if (root.name !== 'TestRun') throw new ReportError('report.wrong-root', file, `root element is <${root.name}>, TRX has <TestRun>`);
  const results = childNamed(root, 'Results');
  const summary = childNamed(root, 'ResultSummary');
  const counters = summary ? childNamed(summary, 'Counters') : undefined;
  const fromCounters = counters ? countersOf(counters, file) : undefined;
  const entries = results ? results.children.filter((child) => child.name.endsWith('Result') || child.name === 'TestResultAggregation') : [];
  if (entries.length === 0) {
    if (fromCounters) return fromCounters;
    if (!results) throw new ReportError('report.missing-element', file, '<TestRun> has neither <Results> nor <ResultSummary><Counters>');
    return { total: 0, passed: 0, failed: 0, skipped: 0, failures: [] };
  }
  const classes = classNames(root);
  const report: TestReport = { total: 0, passed: 0, failed: 0, skipped: 0, failures: [] };
  let ms: number | undefined;
  for (const entry of entries) {
    const name = required(entry, 'testName', file);
    const outcome = required(entry, 'outcome', file);
    const bucket = OUTCOMES[outcome];
    if (bucket === undefined) throw new ReportError('report.invalid-value', file, `<${entry.name} testName="${clip(name, 100)}"> has outcome "${clip(outcome, 40)}", not a TRX outcome`);
    const duration = optional(entry, 'duration');
    if (duration !== undefined) ms = (ms ?? 0) + durationMs(duration, file, name);
    report.total += 1;
    report[bucket] += 1;
    if (bucket === 'failed') report.failures.push(failure(entry, name, classes));
  }
  return ms === undefined ? report : { ...report, durationMs: Math.round(ms) };
}

function failure(entry: XmlElement, name: string, classes: Map<string, string>): TestFailure {
  const info = childNamed(childNamed(entry, 'Output') ?? entry, 'ErrorInfo');
  const message = info ? childNamed(info, 'Message')?.text : undefined;
  const testId = optional(entry, 'testId');
  return failureOf(name, testId === undefined ? undefined : classes.get(testId), message);
}

// TestDefinitions/UnitTest[@id]/TestMethod[@className]: the suite of a result, by its testId
function classNames(root: XmlElement): Map<string, string> {
  const classes = new Map<string, string>();
  for (const definition of childNamed(root, 'TestDefinitions')?.children ?? []) {
    const id = optional(definition, 'id');
    const className = optional(childNamed(definition, 'TestMethod') ?? definition, 'className');
    // dotnet writes the assembly-qualified name ("Ns.Class, Assembly"); the class is the part people know
    if (id !== undefined && className !== undefined) classes.set(id, className.split(',')[0]!.trim());
  }
  return classes;
}

function countersOf(counters: XmlElement, file: string): TestReport {
  const count = (attribute: string) => optionalCount(counters, attribute, file) ?? 0;
  const total = optionalCount(counters, 'total', file);
  if (total === undefined) throw new ReportError('report.missing-attribute', file, '<Counters> has no total attribute');
  const failed = count('failed') + count('error') + count('timeout') + count('aborted') + count('disconnected');
  const passed = count('passed') + count('passedButRunAborted') + count('warning') + count('completed');
  if (passed + failed > total) throw new ReportError('report.inconsistent', file, `<Counters> counts ${passed} passed and ${failed} failed of ${total} tests`);
  return { total, passed, failed, skipped: total - passed - failed, failures: [] };
}

function durationMs(value: string, file: string, test: string): number {
  const match = DURATION.exec(value.trim());
  if (!match) throw new ReportError('report.invalid-number', file, `duration "${clip(value, 40)}" of ${clip(test, 100)} is not a hh:mm:ss.fffffff time span`);
  const [, days = '0', hours = '0', minutes = '0', seconds = '0', fraction = ''] = match;
  if (Number(minutes) > 59 || Number(seconds) > 59) throw new ReportError('report.invalid-number', file, `duration "${value}" of ${clip(test, 100)} is not a valid time span`);
  const whole = ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds);
  return whole * 1000 + Number(`0.${fraction || '0'}`) * 1000;
}

