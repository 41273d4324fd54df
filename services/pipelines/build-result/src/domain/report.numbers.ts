import { ReportError } from './report.error';

const DECIMAL = /^\+?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^\+?\d+$/;

/** A non-negative decimal (seconds, rates), or a coded error naming where it was found. */
export function decimalOf(value: string, file: string, where: string): number {
  const trimmed = value.trim();
  const n = DECIMAL.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isFinite(n)) throw new ReportError('report.invalid-number', file, `${where} is "${clip(value, 40)}", not a non-negative number`);
  return n;
}

/** A non-negative integer count, or a coded error naming where it was found. */
export function countOf(value: string, file: string, where: string): number {
  const trimmed = value.trim();
  const n = INTEGER.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new ReportError('report.invalid-number', file, `${where} is "${clip(value, 40)}", not a non-negative integer`);
  return n;
}

/** A rate of 0..1 (Cobertura's line-rate, branch-rate). */
export function rateOf(value: string, file: string, where: string): number {
  const n = decimalOf(value, file, where);
  if (n > 1) throw new ReportError('report.invalid-number', file, `${where} is ${n}, a rate must be from 0 to 1`);
  return n;
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
