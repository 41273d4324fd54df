import { Type, type SchemaOptions, type Static, type TObject, type TProperties, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { Actor } from '../envelope';

// Building blocks shared by the catalogue. Patterns avoid look-arounds so clients on RE2 (Go) or Python
// can enforce them too; rules a regex cannot say well (path traversal, git ref rules) are checked by the
// owning service, which answers with a failure event naming the reason instead of a bare pattern mismatch.

/** An object that refuses unknown fields: every payload and sub-schema is strict. */
export function StrictObject<T extends TProperties>(properties: T, options: SchemaOptions = {}): TObject<T> {
  return Type.Object(properties, { ...options, additionalProperties: false });
}

/** A string enum rendered as JSON Schema `enum` (clearer for other languages than an anyOf of consts). */
export function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
}

/** A string-to-value map with constrained keys and a bounded size. */
export function StringMap<V extends TSchema>(keyPattern: string, value: V, options: SchemaOptions & { maxProperties: number }) {
  return Type.Record(Type.String({ pattern: keyPattern }), value, { ...options, additionalProperties: false });
}

export const Sha = Type.String({ pattern: '^[0-9a-f]{40}$', description: 'git commit sha: 40 lowercase hex digits' });
export const Sha256Digest = Type.String({ pattern: '^sha256:[0-9a-f]{64}$', description: 'content digest: sha256:<64 lowercase hex>' });
export const Version = Type.String({
  maxLength: 128,
  pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+(\\.[0-9]+)?(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$',
  description: 'semantic version (a fourth numeric part is allowed for NuGet)',
});
export const EntityId = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$',
  description: 'an aggregate id: a UUIDv7 when minted by the platform, or a provider id',
});
export const EnvironmentName = Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$', description: 'environment slug, e.g. dev1, stage1, prod1' });
export const ApplicationName = Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$', description: 'application slug' });
export const StackName = Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$', description: 'infrastructure stack slug' });
export const RepositoryName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$', description: 'repository name, unique in a project' });
export const BranchName = Type.String({
  pattern: '^[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}$',
  description: 'short branch name (main, request/42); git ref-format rules (no "..", no "//", no ".lock" suffix) are checked by the branch service',
});
export const RepoPath = Type.String({
  minLength: 1,
  maxLength: 1024,
  pattern: '^[^\\x00-\\x1f\\\\]+$',
  description: 'path relative to the repository root with "/" separators; absolute paths, ".." segments and .git/ are rejected by the service',
});
export const CheckName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9 ._/:-]{0,99}$', description: 'status check name, e.g. "pipeline/build"' });
export const ImageRepository = Type.String({
  maxLength: 255,
  pattern: '^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$',
  description: 'OCI repository name, e.g. shop/api',
});
export const ImageTag = Type.String({ pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$', description: 'OCI tag' });
export const RegistryHost = Type.String({ pattern: '^[A-Za-z0-9.-]+(:[0-9]{1,5})?$', maxLength: 255, description: 'registry host[:port]' });
export const PackageName = Type.String({
  maxLength: 214,
  pattern: '^(@[A-Za-z0-9~-][A-Za-z0-9._~-]*/)?[A-Za-z0-9~-][A-Za-z0-9._~-]*$',
  description: 'npm package name (optionally scoped) or NuGet package id',
});
export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601 / RFC 3339 instant' });
export const Title = Type.String({ minLength: 1, maxLength: 300 });
export const Comment = Type.String({ minLength: 1, maxLength: 8000 });
export const Text = Type.String({ maxLength: 65536, description: 'markdown' });
export const EnvVars = StringMap('^[A-Za-z_][A-Za-z0-9_]{0,127}$', Type.String({ maxLength: 8192 }), {
  maxProperties: 200,
  description: 'environment variables; never secrets (those are referenced by the runtime, not carried on the bus)',
});
export const Labels = StringMap('^[A-Za-z0-9][A-Za-z0-9._/-]{0,252}$', Type.String({ maxLength: 256 }), { maxProperties: 64 });
const Count = Type.Integer({ minimum: 0 });
const Percent = Type.Number({ minimum: 0, maximum: 100 });

/** Why something failed: a stable code for programs, a message for people, and what it was about. */
export const Failure = StrictObject(
  {
    code: Type.String({ pattern: '^[a-z][a-z0-9-]*(\\.[a-z0-9-]+)*$', maxLength: 100, description: 'stable error code, e.g. git.conflict, path.traversal' }),
    message: Type.String({ minLength: 1, maxLength: 4000 }),
    retryable: Type.Boolean({ description: 'the same command may succeed later without changes' }),
    details: Type.Optional(
      Type.Array(StrictObject({ subject: Type.String({ maxLength: 1024, description: 'the path, rule, field or resource this is about' }), message: Type.String({ maxLength: 2000 }) }), {
        maxItems: 100,
      }),
    ),
  },
  { description: 'a typed failure' },
);

export const CommitAuthor = StrictObject({
  kind: Actor.properties.kind,
  id: Actor.properties.id,
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
});

const FileContent = {
  path: RepoPath,
  content: Type.String({ maxLength: 200_000, description: 'the whole new file; the envelope size limit applies to the sum' }),
  encoding: Type.Optional(StringEnum(['utf8', 'base64'], { description: 'defaults to utf8' })),
  executable: Type.Optional(Type.Boolean({ description: 'git mode 100755' })),
};
/** One file of a commit: add or update carries the whole content, delete only the path. */
export const FileChange = Type.Union([
  StrictObject({ action: StringEnum(['add', 'update']), ...FileContent }),
  StrictObject({ action: StringEnum(['delete']), path: RepoPath }),
]);
export const InitialFile = StrictObject(FileContent);

export const CheckState = StringEnum(['pending', 'succeeded', 'failed', 'error', 'skipped']);
export const MergeStrategy = StringEnum(['merge', 'squash', 'fast-forward']);

export const BranchPolicy = StrictObject({
  protected: Type.Boolean({ description: 'no direct pushes or deletion; changes arrive through pull requests' }),
  requiredChecks: Type.Array(CheckName, { maxItems: 50, uniqueItems: true }),
  minimumApprovals: Type.Integer({ minimum: 0, maximum: 10 }),
  reviewerNotAuthor: Type.Boolean({ description: 'an approval by the author (agents included) does not count' }),
  allowedMergeStrategies: Type.Array(MergeStrategy, { minItems: 1, maxItems: 3, uniqueItems: true }),
  resetApprovalsOnPush: Type.Optional(Type.Boolean({ description: 'new commits on the source branch void earlier approvals' })),
});

/** A file the platform produced and stores, addressed by its digest. */
export const ArtifactRef = StrictObject({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  kind: StringEnum(['npm-package', 'nuget-package', 'container-context', 'test-results', 'coverage', 'log', 'file']),
  location: Type.String({ minLength: 1, maxLength: 2048, description: 'artifact-store key (runs/<runId>/<name>) or URL' }),
  digest: Sha256Digest,
  size: Type.Integer({ minimum: 0, description: 'bytes' }),
  mediaType: Type.Optional(Type.String({ maxLength: 255 })),
});

export const PackageFormat = StringEnum(['npm', 'nuget']);
export const FeedRef = StrictObject({
  kind: StringEnum(['npm-registry', 'nuget-folder', 'azure-artifacts']),
  name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$', description: 'feed name configured for the tenant' }),
});
export const PackageRef = StrictObject({
  format: PackageFormat,
  name: PackageName,
  version: Version,
  feed: FeedRef,
  integrity: Type.Optional(Type.String({ pattern: '^sha(256|384|512)-[A-Za-z0-9+/]+={0,2}$', maxLength: 200, description: 'Subresource Integrity string' })),
});
export const ImageRef = StrictObject({
  registry: RegistryHost,
  repository: ImageRepository,
  tag: Type.Optional(ImageTag),
  digest: Sha256Digest,
});
export const ReleaseArtifacts = StrictObject({
  packages: Type.Array(PackageRef, { maxItems: 50 }),
  images: Type.Array(ImageRef, { maxItems: 50 }),
});

const GateName = Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' }));
/** A health gate: every gate of a step must pass before traffic moves on or the promotion completes. */
export const HealthGate = Type.Union([
  StrictObject({
    kind: StringEnum(['http-probe']),
    name: GateName,
    path: Type.String({ pattern: '^/[^\\s]{0,511}$', description: 'HTTP path probed on the new revision' }),
    expectStatus: Type.Optional(Type.Integer({ minimum: 100, maximum: 599, description: 'defaults to 200' })),
    consecutiveSuccesses: Type.Integer({ minimum: 1, maximum: 100 }),
    intervalSeconds: Type.Integer({ minimum: 1, maximum: 300 }),
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 3600, description: 'deadline for the gate to pass' }),
  }),
  StrictObject({
    kind: StringEnum(['error-rate']),
    name: GateName,
    maxErrorRate: Type.Number({ minimum: 0, maximum: 1, description: 'share of 5xx responses allowed' }),
    minRequests: Type.Integer({ minimum: 0, description: 'below this many requests the gate keeps waiting' }),
    windowSeconds: Type.Integer({ minimum: 1, maximum: 3600 }),
  }),
  StrictObject({
    kind: StringEnum(['latency']),
    name: GateName,
    maxP99Ms: Type.Integer({ minimum: 1, maximum: 600_000 }),
    windowSeconds: Type.Integer({ minimum: 1, maximum: 3600 }),
  }),
  StrictObject({ kind: StringEnum(['soak']), name: GateName, minSeconds: Type.Integer({ minimum: 0, maximum: 86_400 }) }),
]);

/** How a new revision replaces the old one in an environment. */
export const Strategy = Type.Union([
  StrictObject({
    kind: StringEnum(['rolling']),
    maxSurgePercent: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    maxUnavailablePercent: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  }),
  StrictObject({
    kind: StringEnum(['blue-green']),
    keepPreviousSlotSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 604_800, description: 'how long the old slot stays for a fast rollback' })),
  }),
  StrictObject({
    kind: StringEnum(['canary']),
    steps: Type.Array(
      StrictObject({ weight: Type.Integer({ minimum: 1, maximum: 100, description: 'percent of traffic' }), pauseSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })) }),
      { minItems: 1, maxItems: 20, description: 'increasing weights; the last step is 100' },
    ),
  }),
]);

export const EnvironmentStage = StrictObject({
  name: EnvironmentName,
  strategy: Strategy,
  healthGates: Type.Array(HealthGate, { maxItems: 20 }),
});

/** The runtime-neutral description of a workload: what a local process runtime or Kubernetes needs. */
export const WorkloadSpec = StrictObject({
  name: ApplicationName,
  command: Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { minItems: 1, maxItems: 64, description: 'argv, no shell' }),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'container port; the local runtime allocates the host port' })),
  healthPath: Type.Optional(Type.String({ pattern: '^/[^\\s]{0,511}$' })),
  env: Type.Optional(EnvVars),
  replicas: Type.Integer({ minimum: 0, maximum: 50 }),
});

/** Where the desired state of one application in one environment lives in the GitOps repository. */
export const GitOpsTarget = StrictObject({ repositoryId: EntityId, branch: BranchName, path: RepoPath });

export const TrafficWeight = StrictObject({
  slot: StringEnum(['stable', 'canary', 'blue', 'green']),
  revision: Type.Optional(Sha),
  weight: Type.Integer({ minimum: 0, maximum: 100 }),
});

export const SyncStatus = StringEnum(['Synced', 'OutOfSync', 'Unknown']);
// Argo CD's health order, worst last: aggregation takes the worst of the workloads.
export const HealthStatus = StringEnum(['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown']);

export const TestSummary = StrictObject({ total: Count, passed: Count, failed: Count, skipped: Count, durationMs: Type.Optional(Count) });
export const CoverageSummary = StrictObject({
  lines: Type.Union([Percent, Type.Null()]),
  branches: Type.Union([Percent, Type.Null()]),
  functions: Type.Union([Percent, Type.Null()]),
});
export const BuildStatus = StringEnum(['Succeeded', 'Failed', 'Canceled']);

export const ResourceChange = StrictObject({
  address: Type.String({ minLength: 1, maxLength: 500, description: 'resource address or URN' }),
  type: Type.String({ minLength: 1, maxLength: 200 }),
  action: StringEnum(['create', 'update', 'replace', 'delete', 'no-op']),
  fields: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100, description: 'changed properties' })),
});
export const ChangeSummary = StrictObject({ create: Count, update: Count, replace: Count, delete: Count, unchanged: Count });

// TS views of the shared shapes, for handlers and deciders.
export type Failure = Static<typeof Failure>;
export type FileChange = Static<typeof FileChange>;
export type BranchPolicy = Static<typeof BranchPolicy>;
export type ArtifactRef = Static<typeof ArtifactRef>;
export type PackageRef = Static<typeof PackageRef>;
export type ImageRef = Static<typeof ImageRef>;
export type ReleaseArtifacts = Static<typeof ReleaseArtifacts>;
export type HealthGate = Static<typeof HealthGate>;
export type Strategy = Static<typeof Strategy>;
export type EnvironmentStage = Static<typeof EnvironmentStage>;
export type WorkloadSpec = Static<typeof WorkloadSpec>;
export type TrafficWeight = Static<typeof TrafficWeight>;
export type ResourceChange = Static<typeof ResourceChange>;
