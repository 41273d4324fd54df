import { ValidationError } from '@delivery/messaging';

// What can be wrong with a report; the code is stable for programs, the message names the file for people.
export type ReportErrorCode =
  | 'report.not-xml'
  | 'report.wrong-root'
  | 'report.missing-element'
  | 'report.missing-attribute'
  | 'report.invalid-number'
  | 'report.invalid-value'
  | 'report.inconsistent'
  | 'report.invalid-lcov'
  | 'report.unknown-format'
  | 'report.kind-mismatch'
  | 'report.too-large';

/** A report that cannot be read as what it claims to be: the build's ingestion fails, it is never read as zero. */
export class ReportError extends ValidationError {
  constructor(
    code: ReportErrorCode,
    readonly file: string,
    problem: string,
  ) {
    super(code, `${file}: ${problem}`, { file });
  }
}
