import type { Envelope, PayloadOf } from '@delivery/contracts';
import { uuidv7 } from '@delivery/messaging';
import type { SeededRepository } from '@delivery/repository-directory/testing';
import type { RunningService } from '@delivery/service-kit';
import { waitForMessages, type ServiceFixture } from '@delivery/testing';
// the real commit service answers the CreateCommits (integration tests only: services never import each other)
import { startCommittingHarness, type CommittingHarness } from '../../../source-control/commit/src/commit.testing';
import { deploymentManifestService } from './deployment-manifest.service';
import { input as inputOf } from './domain/manifest.test-fixture';
import type { RenderManifestInput } from './domain/manifest.renderer';

// Shared by the service's integration tests: this service and the commit service on real NATS, Postgres and git.
export type RenderedEvent = Envelope<PayloadOf<'DeploymentManifestRendered'>, 'DeploymentManifestRendered'>;
export type RenderFailedEvent = Envelope<PayloadOf<'DeploymentManifestRenderFailed'>, 'DeploymentManifestRenderFailed'>;

export type ManifestHarness = CommittingHarness & {
  manifests: RunningService;
  /** a GitOps repository the running services know */
  gitops(name: string, files?: Record<string, string>): Promise<SeededRepository>;
};

/** options.commits false: the commit service starts later (startCommits), so CreateCommits wait on the bus */
export async function startManifestHarness(options: { commits?: boolean } = {}): Promise<ManifestHarness> {
  const harness = await startCommittingHarness('manifest', deploymentManifestService(), options);
  return Object.assign(harness, { manifests: harness.service, gitops: harness.repository });
}

/** the domain fixture's release under a fresh id (a stream of its own), targeting a seeded repository */
export function renderInput(
  repo: SeededRepository,
  overrides: Omit<Partial<RenderManifestInput>, 'gitops'> & { gitops?: Partial<RenderManifestInput['gitops']> } = {},
  workload: Partial<RenderManifestInput['workload']> = {},
): RenderManifestInput {
  const { gitops, ...release } = overrides;
  const base = inputOf({ releaseId: uuidv7(), ...release }, workload);
  return { ...base, gitops: { ...base.gitops, repositoryId: repo.repositoryId, ...gitops } };
}

/** the answers to one RenderManifest (causationId), in order; count: how many to wait for */
export function answersTo<T extends RenderedEvent | RenderFailedEvent>(fx: ServiceFixture, type: T['type'], renderId: string, count = 1, timeoutMs = 20_000): Promise<T[]> {
  const names = fx.bus.names;
  return waitForMessages<T>(fx.bus, { stream: names.eventStream('release'), subject: names.eventFilter('release', type), predicate: (e) => e.causationId === renderId, count, timeoutMs });
}

export async function renderedFor(fx: ServiceFixture, renderId: string): Promise<RenderedEvent> {
  const [event] = await answersTo<RenderedEvent>(fx, 'DeploymentManifestRendered', renderId);
  return event!;
}

export async function renderFailedFor(fx: ServiceFixture, renderId: string): Promise<RenderFailedEvent> {
  const [event] = await answersTo<RenderFailedEvent>(fx, 'DeploymentManifestRenderFailed', renderId);
  return event!;
}

/** the rows of the event store of this service's stream for one release in one environment */
export async function streamTypes(manifests: RunningService, input: RenderManifestInput): Promise<string[]> {
  const rows: Array<{ type: string }> = await manifests.dataSource.query(`SELECT type FROM events WHERE stream_id = $1 ORDER BY version`, [`manifest-${input.releaseId}-${input.environment}`]);
  return rows.map((row) => row.type);
}
