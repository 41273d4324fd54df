import { ReportError } from './report.error';
import { failureOf, type TestFailure, type TestReport } from './test-report';
import { childrenNamed, optional, optionalCount, optionalDecimal, parseXml, required, type XmlElement } from './xml.tree';

// JUnit XML as the common tools write it (Surefire, jest-junit, pytest, go-junit-report): <testsuites> or one
// <testsuite> at the root, suites nested at any depth, each <testcase> passed unless it holds <failure> or <error>
// (both count as failed) or <skipped>. The testcases are the truth; a suite's tests/failures/errors/skipped
// attributes are checked to be numbers, and counted only for a summary-only suite with no testcases at all.

interface Tally {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  timed: boolean;
  failures: TestFailure[];
}

export function parseJUnit(text: string, file: string): TestReport {
  return readJUnit(parseXml(text, file), file);
}

export function readJUnit(root: XmlElement, file: string): TestReport {
  if (root.name !== 'testsuites' && root.name !== 'testsuite') {
    throw new ReportError('report.wrong-root', file, `root element is <${root.name}>, JUnit has <testsuites> or <testsuite>`);
  }
  const tally: Tally = { total: 0, passed: 0, failed: 0, skipped: 0, timed: false, failures: [] };
  const seconds = root.name === 'testsuite' ? suite(root, undefined, tally, file) : container(root, tally, file);
  const { timed, ...counts } = tally;
  return { ...counts, ...(timed ? { durationMs: Math.round(seconds * 1000) } : {}) };
}

// <testsuites>: its own time when it has one, else its suites' times added up
function container(element: XmlElement, tally: Tally, file: string): number {
  checkCounts(element, file);
  let seconds = 0;
  for (const child of element.children) {
    if (child.name === 'testsuite') seconds += suite(child, undefined, tally, file);
    else if (child.name === 'testcase') seconds += testcase(child, optional(element, 'name'), tally, file);
  }
  return own(element, tally, file) ?? seconds;
}

/** counts a suite's testcases and nested suites into the tally; returns its time in seconds */
function suite(element: XmlElement, parent: string | undefined, tally: Tally, file: string): number {
  const counts = checkCounts(element, file);
  const name = optional(element, 'name') ?? parent;
  const suites = childrenNamed(element, 'testsuite');
  const cases = childrenNamed(element, 'testcase');
  let seconds = 0;
  for (const child of suites) seconds += suite(child, name, tally, file);
  for (const child of cases) seconds += testcase(child, name, tally, file);
  if (suites.length === 0 && cases.length === 0) summaryOnly(element, counts, tally, file);
  return own(element, tally, file) ?? seconds;
}

function testcase(element: XmlElement, suiteName: string | undefined, tally: Tally, file: string): number {
  const name = required(element, 'name', file);
  const seconds = own(element, tally, file) ?? 0;
  tally.total += 1;
  const broken = element.children.find((child) => child.name === 'failure' || child.name === 'error');
  if (broken) {
    tally.failed += 1;
    tally.failures.push(failureOf(name, suiteName ?? optional(element, 'classname'), messageOf(broken)));
  } else if (element.children.some((child) => child.name === 'skipped')) tally.skipped += 1;
  else tally.passed += 1;
  return seconds;
}

function own(element: XmlElement, tally: Tally, file: string): number | undefined {
  const seconds = optionalDecimal(element, 'time', file);
  if (seconds !== undefined) tally.timed = true;
  return seconds;
}

function checkCounts(element: XmlElement, file: string) {
  return {
    tests: optionalCount(element, 'tests', file),
    failures: optionalCount(element, 'failures', file),
    errors: optionalCount(element, 'errors', file),
    skipped: optionalCount(element, 'skipped', file) ?? optionalCount(element, 'disabled', file),
  };
}

// a suite that lists no testcases (some tools summarise) is counted from its attributes, which must add up
function summaryOnly(element: XmlElement, counts: ReturnType<typeof checkCounts>, tally: Tally, file: string): void {
  const tests = counts.tests ?? 0;
  const failed = (counts.failures ?? 0) + (counts.errors ?? 0);
  const skipped = counts.skipped ?? 0;
  if (failed + skipped > tests) {
    throw new ReportError('report.inconsistent', file, `<testsuite ${optional(element, 'name') ?? ''}> counts ${failed} failed and ${skipped} skipped of ${tests} tests`);
  }
  tally.total += tests;
  tally.failed += failed;
  tally.skipped += skipped;
  tally.passed += tests - failed - skipped;
}

// the message attribute, else the first line of the body (the exception), else the failure type
function messageOf(element: XmlElement): string | undefined {
  const firstLine = element.text.split('\n').find((line) => line.trim() !== '');
  return optional(element, 'message') ?? firstLine?.trim() ?? optional(element, 'type');
}
