// Coverage as counts, so that several reports of one run merge exactly: covered and total are added up, and the
// percentage is taken once at the end (averaging percentages would weigh a 10-line module like a 10,000-line one).
export interface Ratio {
  covered: number;
  total: number;
}

export interface CoverageCounts {
  lines: Ratio;
  branches: Ratio;
  functions: Ratio;
}

export interface CoveragePercentages {
  lines: number | null;
  branches: number | null;
  functions: number | null;
}

export function emptyCoverage(): CoverageCounts {
  return { lines: { covered: 0, total: 0 }, branches: { covered: 0, total: 0 }, functions: { covered: 0, total: 0 } };
}

export function mergeCoverage(reports: readonly CoverageCounts[]): CoverageCounts {
  const merged = emptyCoverage();
  for (const report of reports) {
    for (const metric of ['lines', 'branches', 'functions'] as const) {
      merged[metric].covered += report[metric].covered;
      merged[metric].total += report[metric].total;
    }
  }
  return merged;
}

/** 0–100 with two decimals; null for a metric no report measured */
export function percentagesOf(counts: CoverageCounts): CoveragePercentages {
  return { lines: percent(counts.lines), branches: percent(counts.branches), functions: percent(counts.functions) };
}

function percent({ covered, total }: Ratio): number | null {
  if (total === 0) return null;
  return Math.round((Math.min(covered, total) / total) * 10_000) / 100;
}
