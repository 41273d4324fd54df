import { sha256, buildCompletedFor, buildRows, buildsCompletedOnBus, consumerDrained, ingestionFailedFor, newRunId, putOutputs, runFinished, startBuildHarness, streamTypes, type BuildHarness } from '../build-result.testing';

// PipelineRunFinished on the real bus, reports in a real FileArtifactStore, builds in real Postgres.
describe('ingesting a finished run', () => {
  let h: BuildHarness;

  beforeAll(async () => {
    h = await startBuildHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('completes a build with the real test counts, coverage merged over lcov and Cobertura, and verified artifacts, in the run trace', async () => {
    const runId = newRunId();
    const testResults = await putOutputs(h.store, runId, [{ name: 'junit.xml', kind: 'test-results', fixture: 'junit-passed.xml' }]);
    const coverage = await putOutputs(h.store, runId, [
      { name: 'lcov.info', kind: 'coverage', fixture: 'lcov.info' },
      { name: 'cobertura.xml', kind: 'coverage', fixture: 'cobertura-classic.xml' },
    ]);
    const artifacts = await putOutputs(h.store, runId, [{ name: 'shop-1.4.0.tgz', kind: 'npm-package', content: Buffer.from('pretend tarball bytes') }]);
    const run = runFinished(runId, { testResults, coverage, artifacts }, { pullRequestId: 'pr-17' });
    await h.fx.publisher.publish(run);

    const built = await buildCompletedFor(h.fx, runId);
    expect(built).toMatchObject({ traceId: run.traceId, correlationId: run.correlationId, causationId: run.id, tenantId: 'acme', projectId: 'web', source: 'build-result', actor: { kind: 'service', id: 'build-result' } });
    expect(built.payload).toEqual({
      buildId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      runId,
      repositoryId: 'repo-shop',
      branch: 'main',
      sha: 'a'.repeat(40),
      pullRequestId: 'pr-17',
      status: 'Succeeded',
      tests: { total: 3, passed: 3, failed: 0, skipped: 0, durationMs: 734 },
      // lines 8/12 summed over both reports (the average of 75 % and 50 % would be 62.5)
      coverage: { lines: 66.67, branches: 50, functions: 75 },
      failedTests: [],
      artifacts,
    });
    expect(await buildRows(h.service, runId)).toEqual([{ build_id: built.payload.buildId, status: 'Succeeded' }]);
  });

  it('fails the build of a succeeded run whose tests failed, listing the failures of JUnit and TRX reports', async () => {
    const runId = newRunId();
    const testResults = await putOutputs(h.store, runId, [
      { name: 'web/junit.xml', kind: 'test-results', fixture: 'junit-jest.xml' },
      { name: 'api/results.trx', kind: 'test-results', fixture: 'dotnet.trx' },
    ]);
    await h.fx.publisher.publish(runFinished(runId, { testResults }));

    const built = await buildCompletedFor(h.fx, runId);
    expect(built.payload).toMatchObject({ status: 'Failed', tests: { total: 9, passed: 5, failed: 2, skipped: 2, durationMs: 2413 + 1762 }, coverage: null });
    expect(built.payload.failedTests).toEqual([
      { suite: 'cart', name: 'cart applies a discount', message: 'Error: expect(received).toBe(expected) // Object.is equality' },
      { suite: 'Shop.Tests.CartTests', name: 'Shop.Tests.CartTests.AppliesDiscount', message: 'Assert.Equal() Failure\nExpected: 90\nActual:   100' },
    ]);
  });

  it('keeps a canceled run Canceled, with no tests and no coverage reported', async () => {
    const runId = newRunId();
    await h.fx.publisher.publish(runFinished(runId, {}, { result: 'Canceled' }));
    const built = await buildCompletedFor(h.fx, runId);
    expect(built.payload).toMatchObject({ status: 'Canceled', tests: { total: 0, passed: 0, failed: 0, skipped: 0 }, coverage: null, failedTests: [] });
  });

  it('answers a malformed JUnit report with BuildResultIngestionFailed naming the file, and no build', async () => {
    const runId = newRunId();
    const testResults = await putOutputs(h.store, runId, [
      { name: 'ok.xml', kind: 'test-results', fixture: 'junit-passed.xml' },
      { name: 'junit.xml', kind: 'test-results', fixture: 'bad-junit-truncated.xml' },
    ]);
    const run = runFinished(runId, { testResults });
    await h.fx.publisher.publish(run);

    const failed = await ingestionFailedFor(h.fx, runId);
    expect(failed).toMatchObject({ traceId: run.traceId, causationId: run.id, source: 'build-result' });
    expect(failed.payload).toEqual({
      runId,
      repositoryId: 'repo-shop',
      file: `runs/${runId}/junit.xml`,
      error: { code: 'report.not-xml', message: expect.stringMatching(new RegExp(`^runs/${runId}/junit\\.xml: not well-formed XML`)), retryable: false, details: [{ subject: 'file', message: `runs/${runId}/junit.xml` }] },
    });
    await consumerDrained(h.fx);
    expect(await streamTypes(h.service, runId)).toEqual(['BuildResultIngestionFailed']);
    expect(await buildsCompletedOnBus(h.fx, runId)).toBe(0);
    expect(await buildRows(h.service, runId)).toEqual([]);
  });

  it('fails the ingestion of a report whose stored bytes do not match its digest', async () => {
    const runId = newRunId();
    const [ref] = await putOutputs(h.store, runId, [{ name: 'junit.xml', kind: 'test-results', fixture: 'junit-passed.xml' }]);
    // the run recorded other bytes than the store holds (a report rewritten after the run measured it)
    const recorded = { ...ref!, digest: sha256('<testsuites/>') };
    await h.fx.publisher.publish(runFinished(runId, { testResults: [recorded] }));

    const failed = await ingestionFailedFor(h.fx, runId);
    expect(failed.payload.file).toBe(`runs/${runId}/junit.xml`);
    expect(failed.payload.error).toMatchObject({ code: 'artifact.digest-mismatch', retryable: false, message: expect.stringContaining(`the run recorded ${sha256('<testsuites/>')}`) });
    await consumerDrained(h.fx);
    expect(await streamTypes(h.service, runId)).toEqual(['BuildResultIngestionFailed']);
  });

  it('fails the ingestion of a build artifact whose stored bytes do not match its digest', async () => {
    const runId = newRunId();
    const [pkg] = await putOutputs(h.store, runId, [{ name: 'shop-1.4.0.tgz', kind: 'npm-package', content: 'the real tarball' }]);
    await h.fx.publisher.publish(runFinished(runId, { artifacts: [{ ...pkg!, digest: sha256('another tarball') }] }));
    const failed = await ingestionFailedFor(h.fx, runId);
    expect(failed.payload).toMatchObject({ file: `runs/${runId}/shop-1.4.0.tgz`, error: { code: 'artifact.digest-mismatch' } });
  });

  it('fails the ingestion of a report the store does not hold', async () => {
    const runId = newRunId();
    const missing = { name: 'junit.xml', kind: 'test-results' as const, location: `runs/${runId}/junit.xml`, digest: sha256('x'), size: 1 };
    await h.fx.publisher.publish(runFinished(runId, { testResults: [missing] }));
    const failed = await ingestionFailedFor(h.fx, runId);
    expect(failed.payload).toMatchObject({ file: missing.location, error: { code: 'artifact.not-found', retryable: false } });
  });

  it('fails the ingestion of a report whose location is no key of the store (a URL)', async () => {
    const runId = newRunId();
    const remote = { name: 'junit.xml', kind: 'test-results' as const, location: 'https://dev.azure.com/acme/_apis/test/runs/7/attachments/1', digest: sha256('x'), size: 1 };
    await h.fx.publisher.publish(runFinished(runId, { testResults: [remote] }));
    const failed = await ingestionFailedFor(h.fx, runId);
    expect(failed.payload).toMatchObject({ file: remote.location, error: { code: 'artifact.invalid-key', retryable: false } });
  });

  it('fails the ingestion of a coverage file that is neither Cobertura nor lcov', async () => {
    const runId = newRunId();
    const coverage = await putOutputs(h.store, runId, [{ name: 'coverage.txt', kind: 'coverage', fixture: 'bad-not-a-report.txt' }]);
    await h.fx.publisher.publish(runFinished(runId, { coverage }));
    const failed = await ingestionFailedFor(h.fx, runId);
    expect(failed.payload).toMatchObject({ file: `runs/${runId}/coverage.txt`, error: { code: 'report.unknown-format' } });
  });

  it('completes one build when the same PipelineRunFinished is delivered twice', async () => {
    const runId = newRunId();
    const testResults = await putOutputs(h.store, runId, [{ name: 'junit.xml', kind: 'test-results', fixture: 'junit-passed.xml' }]);
    const run = runFinished(runId, { testResults });
    await h.fx.publisher.publish(run);
    // a redelivery: the same envelope under another message id, so that JetStream does not drop it as a duplicate
    // publish and the service's inbox has to
    const again = await h.fx.publisher.publish(run, { msgId: `${run.id}:again` });
    expect(again.duplicate).toBe(false);

    await buildCompletedFor(h.fx, runId);
    await consumerDrained(h.fx);
    expect(await streamTypes(h.service, runId)).toEqual(['BuildCompleted']);
    expect(await buildsCompletedOnBus(h.fx, runId)).toBe(1);
    expect(await buildRows(h.service, runId)).toHaveLength(1);
  });

  it('builds a run once even when it is reported finished twice under different envelopes', async () => {
    const runId = newRunId();
    await h.fx.publisher.publish(runFinished(runId, {}));
    await buildCompletedFor(h.fx, runId);
    await h.fx.publisher.publish(runFinished(runId, {}));
    await consumerDrained(h.fx);
    expect(await streamTypes(h.service, runId)).toEqual(['BuildCompleted']);
    expect(await buildRows(h.service, runId)).toHaveLength(1);
  });
});
