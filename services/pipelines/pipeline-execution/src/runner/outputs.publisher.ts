import { stat } from 'node:fs/promises';
import { basename, relative, resolve } from 'node:path';
import type { schemas } from '@delivery/contracts';
import type { ArtifactStore } from '@delivery/artifacts';
import { artifactKindOf } from '../domain/task.mapping';
import type { TestResultsFormat } from '../domain/pipeline.plan';
import { isInside, matchFiles, walk } from './file.matcher';

// The publish tasks' local equivalents: files of the workspace copied into the artifact store under
// runs/<runId>/..., each answered with the ArtifactRef (digest and size from the store) PipelineRunFinished carries.

type ArtifactRef = schemas.ArtifactRef;

export interface PublishContext {
  runId: string;
  store: ArtifactStore;
  /** the run's workspace: nothing outside it is published */
  root: string;
  sources: string;
  stepIndex: number;
  log(line: string): void;
}

export const TEST_RESULTS_MEDIA_TYPES: Record<TestResultsFormat, string> = { JUnit: 'application/junit+xml', VSTest: 'application/vnd.ms-trx+xml' };

export async function publishTestResults(ctx: PublishContext, format: TestResultsFormat, patterns: string[], searchFolder: string | undefined): Promise<ArtifactRef[]> {
  const folder = resolve(ctx.sources, searchFolder ?? ctx.sources);
  const files = (await matchFiles(patterns, folder)).filter((file) => inside(ctx, file));
  if (files.length === 0) ctx.log(`##[warning]No test result files matched ${patterns.join(', ')} in ${folder}`);
  const refs: ArtifactRef[] = [];
  for (const file of files) {
    const name = relative(folder, file);
    refs.push(await put(ctx, `test-results/${ctx.stepIndex}/${name}`, file, { name, kind: 'test-results', mediaType: TEST_RESULTS_MEDIA_TYPES[format] }));
  }
  return refs;
}

export async function publishCoverage(ctx: PublishContext, summaryFileLocation: string): Promise<ArtifactRef[]> {
  const files = (await matchFiles([summaryFileLocation], ctx.sources)).filter((file) => inside(ctx, file));
  if (files.length === 0) throw new PublishError(`no coverage summary file matched ${summaryFileLocation}`);
  const refs: ArtifactRef[] = [];
  for (const file of files) {
    const name = relative(ctx.sources, file).startsWith('..') ? basename(file) : relative(ctx.sources, file);
    const mediaType = file.endsWith('.xml') ? 'application/xml' : 'text/plain';
    refs.push(await put(ctx, `coverage/${ctx.stepIndex}/${name}`, file, { name, kind: 'coverage', mediaType }));
  }
  return refs;
}

export async function publishArtifact(ctx: PublishContext, targetPath: string, artifactName: string): Promise<ArtifactRef[]> {
  const target = resolve(ctx.sources, targetPath);
  if (!inside(ctx, target)) throw new PublishError(`${targetPath} is outside the run's workspace`);
  const info = await stat(target).catch(() => undefined);
  if (!info) throw new PublishError(`${targetPath} does not exist`);
  const files = info.isFile() ? [target] : await walk(target);
  if (files.length === 0) ctx.log(`##[warning]${targetPath} holds no files`);
  const refs: ArtifactRef[] = [];
  for (const file of files) {
    const name = info.isFile() ? basename(file) : relative(target, file);
    refs.push(await put(ctx, `artifacts/${artifactName}/${name}`, file, { name, kind: artifactKindOf(file) }));
  }
  return refs;
}

export class PublishError extends Error {}

async function put(ctx: PublishContext, relativeKey: string, file: string, ref: { name: string; kind: ArtifactRef['kind']; mediaType?: string }): Promise<ArtifactRef> {
  const location = `runs/${ctx.runId}/${relativeKey.split(/[\\/]/).map(segmentOf).join('/')}`;
  const stored = await ctx.store.putFile(location, file);
  ctx.log(`Published ${ref.name} as ${location} (${stored.size} bytes, ${stored.digest})`);
  return { name: ref.name.slice(-200), kind: ref.kind, location, digest: stored.digest, size: stored.size, ...(ref.mediaType ? { mediaType: ref.mediaType } : {}) };
}

// artifact keys allow letters, digits and @ + _ . - in a segment, never "." or ".."
function segmentOf(segment: string): string {
  const safe = segment.replace(/[^A-Za-z0-9@+_.-]/g, '_').slice(0, 255);
  return safe === '' || safe === '.' || safe === '..' ? '_' : safe;
}

function inside(ctx: PublishContext, file: string): boolean {
  if (isInside(ctx.root, file)) return true;
  ctx.log(`##[warning]${file} is outside the run's workspace and is not published`);
  return false;
}
