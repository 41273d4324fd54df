import type { CoverageCounts, Ratio } from './coverage-report';
import { ReportError } from './report.error';
import { countOf } from './report.numbers';

// lcov tracefiles (istanbul, c8, genhtml's format): records of `KEY:value` lines from SF: to end_of_record. The
// summary lines LF/LH, BRF/BRH, FNF/FNH are summed over records; a record without a summary line is counted from
// its DA / BRDA / FN+FNDA lines instead. Anything that is not a KEY:value line, a record that never ends, or a
// count that is not a number is an error naming its line.

const LINE = /^([A-Z][A-Z_]*):(.*)$/;

interface RecordState {
  file: string;
  line: number;
  summary: Partial<Record<'LF' | 'LH' | 'BRF' | 'BRH' | 'FNF' | 'FNH', number>>;
  da: Ratio;
  brda: Ratio;
  functions: Set<string>;
  ranFunctions: Set<string>;
}

export function looksLikeLcov(text: string): boolean {
  const first = text.split(/\r?\n/).find((line) => line.trim() !== '');
  return first !== undefined && /^(TN|SF):/.test(first.trim());
}

export function parseLcov(text: string, file: string): CoverageCounts {
  const totals: CoverageCounts = { lines: { covered: 0, total: 0 }, branches: { covered: 0, total: 0 }, functions: { covered: 0, total: 0 } };
  let current: RecordState | undefined;
  let records = 0;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (line === '') return;
    if (line === 'end_of_record') {
      if (!current) throw new ReportError('report.invalid-lcov', file, `line ${lineNo}: end_of_record outside a record`);
      add(totals, close(current, file));
      current = undefined;
      records += 1;
      return;
    }
    const match = LINE.exec(line);
    if (!match) throw new ReportError('report.invalid-lcov', file, `line ${lineNo} is not an lcov KEY:value line: "${line.slice(0, 80)}"`);
    const [, key, value = ''] = match;
    if (key === 'TN') return;
    if (key === 'SF') {
      if (current) throw new ReportError('report.invalid-lcov', file, `line ${lineNo}: SF: before the end_of_record of ${current.file} (line ${current.line})`);
      current = { file: value, line: lineNo, summary: {}, da: { covered: 0, total: 0 }, brda: { covered: 0, total: 0 }, functions: new Set(), ranFunctions: new Set() };
      return;
    }
    if (!current) throw new ReportError('report.invalid-lcov', file, `line ${lineNo}: ${key}: outside a record (no SF: before it)`);
    record(current, key!, value, file, lineNo);
  });
  if (current) throw new ReportError('report.invalid-lcov', file, `the record of ${current.file} (line ${current.line}) has no end_of_record: truncated?`);
  if (records === 0) throw new ReportError('report.invalid-lcov', file, 'no SF:…end_of_record record');
  return totals;
}

function record(state: RecordState, key: string, value: string, file: string, lineNo: number): void {
  const where = `line ${lineNo} ${key}`;
  const fields = value.split(',');
  switch (key) {
    case 'LF':
    case 'LH':
    case 'BRF':
    case 'BRH':
    case 'FNF':
    case 'FNH':
      state.summary[key] = countOf(value, file, where);
      return;
    case 'DA': {
      // DA:<line>,<hits>[,<checksum>]
      if (fields.length < 2) throw new ReportError('report.invalid-lcov', file, `${where}: expected <line>,<hits>`);
      countOf(fields[0]!, file, `${where} line number`);
      const hits = hitsOf(fields[1]!, file, `${where} hits`);
      state.da.total += 1;
      if (hits > 0) state.da.covered += 1;
      return;
    }
    case 'BRDA': {
      // BRDA:<line>,<block>,<branch>,<taken or ->
      if (fields.length < 4) throw new ReportError('report.invalid-lcov', file, `${where}: expected <line>,<block>,<branch>,<taken>`);
      const taken = fields[3]!.trim();
      state.brda.total += 1;
      if (taken !== '-' && hitsOf(taken, file, `${where} taken`) > 0) state.brda.covered += 1;
      return;
    }
    case 'FN': {
      // FN:<line>[,<end line>],<name>
      const name = fields[fields.length - 1];
      if (fields.length < 2 || !name) throw new ReportError('report.invalid-lcov', file, `${where}: expected <line>,<name>`);
      state.functions.add(name);
      return;
    }
    case 'FNDA': {
      // FNDA:<hits>,<name>
      if (fields.length < 2) throw new ReportError('report.invalid-lcov', file, `${where}: expected <hits>,<name>`);
      if (hitsOf(fields[0]!, file, `${where} hits`) > 0) state.ranFunctions.add(fields.slice(1).join(','));
      return;
    }
    default:
      // VER:, FNL:, FNA:, BRDA variants of newer lcov: not needed for the summary
      return;
  }
}

// some tools write execution counts as decimals (gcov's 1.5e+06); a count is still a non-negative number
function hitsOf(value: string, file: string, where: string): number {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const n = /^\d+(\.\d+)?([eE][+-]?\d+)?$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isFinite(n)) return countOf(value, file, where);
  return n;
}

function close(state: RecordState, file: string): CoverageCounts {
  const { summary } = state;
  const pair = (found: 'LF' | 'BRF' | 'FNF', hit: 'LH' | 'BRH' | 'FNH', fallback: Ratio): Ratio => {
    const total = summary[found];
    const covered = summary[hit];
    if (total === undefined && covered === undefined) return fallback;
    if (total === undefined || covered === undefined) throw new ReportError('report.invalid-lcov', file, `the record of ${state.file} has ${total === undefined ? hit : found} without ${total === undefined ? found : hit}`);
    if (covered > total) throw new ReportError('report.inconsistent', file, `the record of ${state.file} has ${hit} ${covered} above ${found} ${total}`);
    return { covered, total };
  };
  const functions = { covered: [...state.ranFunctions].filter((name) => state.functions.has(name)).length, total: state.functions.size };
  return { lines: pair('LF', 'LH', state.da), branches: pair('BRF', 'BRH', state.brda), functions: pair('FNF', 'FNH', functions) };
}

function add(totals: CoverageCounts, counts: CoverageCounts): void {
  for (const metric of ['lines', 'branches', 'functions'] as const) {
    totals[metric].covered += counts[metric].covered;
    totals[metric].total += counts[metric].total;
  }
}
