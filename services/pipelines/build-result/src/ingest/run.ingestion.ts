import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ArtifactNotFoundError, InvalidArtifactKeyError, type ArtifactStore } from '@delivery/artifacts';
import type { PayloadOf, schemas } from '@delivery/contracts';
import { IllegalStateError } from '@delivery/messaging';
import { failureOf } from '@delivery/service-kit';
import { ARTIFACT_STORE } from '../artifact-store.provider';
import { summarize, type BuildSummary } from '../domain/build.summary';
import type { CoverageCounts } from '../domain/coverage-report';
import { ReportError } from '../domain/report.error';
import { parseReport, type ReportFamily } from '../domain/report.format';
import type { TestReport } from '../domain/test-report';

type Run = PayloadOf<'PipelineRunFinished'>;
type ArtifactRef = schemas.ArtifactRef;

export type Ingestion = { ok: true; summary: BuildSummary; artifacts: ArtifactRef[] } | { ok: false; file: string; error: schemas.Failure };

/** reports are read whole (the XML parser needs the document); anything larger is refused, not half read */
export const MAX_REPORT_BYTES = 64 * 1024 * 1024;

/** The bytes under a key are not the bytes the run recorded: tampered, overwritten or truncated on the way. */
export class ArtifactIntegrityError extends IllegalStateError {
  constructor(ref: ArtifactRef, actual: { digest: string; size: number }) {
    super('artifact.digest-mismatch', `${ref.location}: the store holds ${actual.digest} (${actual.size} bytes), the run recorded ${ref.digest} (${ref.size} bytes)`, { file: ref.location });
  }
}

// What a finished run produced, read back from the artifact store: every report and artifact must have the bytes
// the run recorded (sha256), every report must parse. The first that does not is the ingestion's failure, naming
// its file. Store errors other than "not there" (a disk error) are thrown, so the event is retried.
@Injectable()
export class RunIngestion {
  constructor(@Inject(ARTIFACT_STORE) private readonly store: ArtifactStore) {}

  async ingest(run: Run): Promise<Ingestion> {
    const tests: TestReport[] = [];
    const coverage: CoverageCounts[] = [];
    let current: ArtifactRef | undefined;
    try {
      for (const ref of run.outputs.testResults) {
        current = ref;
        const parsed = parseReport(await this.report(ref, 'tests'));
        if (parsed.family === 'tests') tests.push(parsed.report);
      }
      for (const ref of run.outputs.coverage) {
        current = ref;
        const parsed = parseReport(await this.report(ref, 'coverage'));
        if (parsed.family === 'coverage') coverage.push(parsed.counts);
      }
      for (const ref of run.outputs.artifacts) {
        current = ref;
        await this.verify(ref);
      }
    } catch (error) {
      if (current === undefined || !isIngestionError(error)) throw error;
      return { ok: false, file: current.location, error: failureOf(error) };
    }
    return { ok: true, summary: summarize(run.result, tests, coverage), artifacts: run.outputs.artifacts };
  }

  private async report(ref: ArtifactRef, family: ReportFamily) {
    if (ref.size > MAX_REPORT_BYTES) throw new ReportError('report.too-large', ref.location, `${ref.size} bytes, reports are read up to ${MAX_REPORT_BYTES}`);
    const bytes = await this.store.read(ref.location);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (digest !== ref.digest || bytes.length !== ref.size) throw new ArtifactIntegrityError(ref, { digest, size: bytes.length });
    return { file: ref.location, bytes, kind: ref.kind, family };
  }

  // packages and image contexts may be large: the store hashes them streaming
  private async verify(ref: ArtifactRef): Promise<void> {
    const stored = await this.store.stat(ref.location);
    if (!stored) throw new ArtifactNotFoundError(ref.location);
    if (stored.digest !== ref.digest || stored.size !== ref.size) throw new ArtifactIntegrityError(ref, stored);
  }
}

// what a retry cannot fix: a report that does not parse, bytes that differ, a key that holds nothing or cannot exist
function isIngestionError(error: unknown): boolean {
  return error instanceof ReportError || error instanceof ArtifactIntegrityError || error instanceof ArtifactNotFoundError || error instanceof InvalidArtifactKeyError;
}
