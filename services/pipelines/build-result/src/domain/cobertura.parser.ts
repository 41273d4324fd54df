import type { CoverageCounts, Ratio } from './coverage-report';
import { ReportError } from './report.error';
import { countOf, rateOf } from './report.numbers';
import { childNamed, childrenNamed, optional, optionalCount, parseXml, required, type XmlElement } from './xml.tree';

// Cobertura XML (coverlet, istanbul, coverage.py, JaCoCo converters): <coverage line-rate branch-rate> over
// packages/package/classes/class, each class with <lines><line number hits [branch condition-coverage]> and
// <methods><method><lines>. Merging needs counts, not rates: lines-valid/lines-covered (and the branch pair) when
// the root has them, else the class lines counted. Functions are the methods (covered when a line of it ran).

const CONDITION = /\((\d+)\s*\/\s*(\d+)\)/;

export function parseCobertura(text: string, file: string): CoverageCounts {
  return readCobertura(parseXml(text, file), file);
}

export function readCobertura(root: XmlElement, file: string): CoverageCounts {
  if (root.name !== 'coverage') throw new ReportError('report.wrong-root', file, `root element is <${root.name}>, Cobertura has <coverage>`);
  const lineRate = rateOf(required(root, 'line-rate', file), file, '<coverage> line-rate');
  const branchRate = rateOf(required(root, 'branch-rate', file), file, '<coverage> branch-rate');
  const counted = countClasses(root, file);
  const lines = declared(root, 'lines', file) ?? counted.lines;
  const branches = declared(root, 'branches', file) ?? counted.branches;
  // a rate with nothing to weigh it by cannot be merged, and reading it as "no lines" would hide real coverage
  if (lines.total === 0 && lineRate > 0) throw new ReportError('report.missing-attribute', file, `line-rate is ${lineRate} but there is neither lines-valid/lines-covered nor a <line> to count`);
  if (branches.total === 0 && branchRate > 0) throw new ReportError('report.missing-attribute', file, `branch-rate is ${branchRate} but there is neither branches-valid/branches-covered nor a branch <line> to count`);
  return { lines, branches, functions: counted.functions };
}

function declared(root: XmlElement, metric: 'lines' | 'branches', file: string): Ratio | undefined {
  const total = optionalCount(root, `${metric}-valid`, file);
  const covered = optionalCount(root, `${metric}-covered`, file);
  if (total === undefined || covered === undefined) return undefined;
  if (covered > total) throw new ReportError('report.inconsistent', file, `${metric}-covered ${covered} exceeds ${metric}-valid ${total}`);
  return { covered, total };
}

function countClasses(root: XmlElement, file: string): CoverageCounts {
  const counts: CoverageCounts = { lines: { covered: 0, total: 0 }, branches: { covered: 0, total: 0 }, functions: { covered: 0, total: 0 } };
  for (const pkg of childrenNamed(childNamed(root, 'packages') ?? root, 'package')) {
    for (const cls of childrenNamed(childNamed(pkg, 'classes') ?? pkg, 'class')) {
      // a class's own <lines> only: its methods repeat the same lines
      for (const line of linesOf(cls)) {
        const hits = countOf(required(line, 'hits', file), file, `<line number="${optional(line, 'number') ?? '?'}"> hits`);
        counts.lines.total += 1;
        if (hits > 0) counts.lines.covered += 1;
        const branch = conditionOf(line, file);
        if (branch) {
          counts.branches.covered += branch.covered;
          counts.branches.total += branch.total;
        }
      }
      for (const method of childrenNamed(childNamed(cls, 'methods') ?? cls, 'method')) {
        counts.functions.total += 1;
        if (methodRan(method, file)) counts.functions.covered += 1;
      }
    }
  }
  return counts;
}

function linesOf(element: XmlElement): XmlElement[] {
  return childrenNamed(childNamed(element, 'lines') ?? element, 'line');
}

// branch="true" condition-coverage="50% (1/2)"
function conditionOf(line: XmlElement, file: string): Ratio | undefined {
  if (optional(line, 'branch')?.toLowerCase() !== 'true') return undefined;
  const condition = optional(line, 'condition-coverage');
  if (condition === undefined) return undefined;
  const match = CONDITION.exec(condition);
  if (!match) throw new ReportError('report.invalid-value', file, `<line number="${optional(line, 'number') ?? '?'}"> condition-coverage "${condition}" is not "NN% (covered/total)"`);
  const covered = Number(match[1]);
  const total = Number(match[2]);
  if (covered > total) throw new ReportError('report.inconsistent', file, `condition-coverage "${condition}" covers more than its total`);
  return { covered, total };
}

function methodRan(method: XmlElement, file: string): boolean {
  const lines = linesOf(method);
  if (lines.length > 0) return lines.some((line) => countOf(required(line, 'hits', file), file, `<method name="${optional(method, 'name') ?? '?'}"> line hits`) > 0);
  const rate = optional(method, 'line-rate');
  return rate !== undefined && rateOf(rate, file, `<method name="${optional(method, 'name') ?? '?'}"> line-rate`) > 0;
}
