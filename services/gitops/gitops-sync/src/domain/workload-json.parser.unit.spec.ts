import { PlatformError, ValidationError } from '@delivery/messaging';
import { fixture, fixtureDoc, PREVIOUS_RELEASE, REV_A, REV_B, REV_C } from './gitops.test-fixture';
import { DEFAULT_PROGRESS_DEADLINE_SECONDS, desiredFromWorkloadJson, specHashOf, type Reason } from './workload-json.parser';

const RELEASE = '0192f3a4-5b6c-7d8e-9f01-23456789abcd';
const NEXT_RELEASE = '0192f3a4-0000-7000-8000-000000000003';
const thrown = (fn: () => unknown): PlatformError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof PlatformError) return error;
    throw error;
  }
  throw new Error('expected an error');
};
const reasonsOf = (doc: unknown): Reason[] => {
  const error = thrown(() => desiredFromWorkloadJson(JSON.stringify(doc), REV_A));
  expect(error).toBeInstanceOf(ValidationError);
  expect(error.code).toBe('gitops.invalid-workload');
  return (error.details?.reasons ?? []) as Reason[];
};
const edit = (name: 'rolling-npm' | 'canary' | 'blue-green', change: (doc: Record<string, unknown>) => void) => {
  const doc = fixtureDoc(name);
  change(doc);
  return doc;
};

describe('desiredFromWorkloadJson: the desired state of a rendered workload.json', () => {
  it('given a rolling npm-package release, then one workload without a slot, no weights, the package as artifact', () => {
    const desired = desiredFromWorkloadJson(fixture('rolling-npm'), REV_A);
    expect(desired).toMatchObject({ environment: 'dev1', application: 'shop', revision: REV_A, releaseId: RELEASE, weights: [], prune: false, progressDeadlineSeconds: DEFAULT_PROGRESS_DEADLINE_SECONDS });
    expect(desired.workloads).toEqual([
      {
        name: 'shop-api',
        slot: null,
        version: '1.4.0',
        releaseId: RELEASE,
        command: ['node', 'dist/main.js'],
        port: 8080,
        healthPath: '/health',
        env: { LOG_LEVEL: 'info' },
        replicas: 2,
        artifact: { kind: 'npm-package', name: '@shop/api', version: '1.4.0', feed: 'internal' },
        specHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    ]);
  });

  it('given options, then prune and the progress deadline come from them', () => {
    expect(desiredFromWorkloadJson(fixture('rolling-npm'), REV_A, { prune: true, progressDeadlineSeconds: 120 })).toMatchObject({ prune: true, progressDeadlineSeconds: 120 });
  });

  it('given a canary 80/20 and the previous desired state, then the stable slot keeps the previous spec and the canary runs this release', () => {
    const previous = desiredFromWorkloadJson(fixture('rolling-npm').replace(/1\.4\.0/g, '1.3.0').replace(RELEASE, PREVIOUS_RELEASE), REV_B);
    const desired = desiredFromWorkloadJson(fixture('canary'), REV_A, { previous });
    expect(desired.weights).toEqual([{ slot: 'stable', weight: 80 }, { slot: 'canary', weight: 20 }]);
    const [stable, canary] = desired.workloads;
    expect(stable).toMatchObject({ name: 'shop-api-stable', slot: 'stable', version: '1.3.0', releaseId: PREVIOUS_RELEASE, replicas: 4, artifact: { kind: 'npm-package', version: '1.3.0' } });
    expect(canary).toMatchObject({ name: 'shop-api-canary', slot: 'canary', version: '1.4.0', releaseId: RELEASE, replicas: 1 });
    expect(canary?.artifact).toEqual({ kind: 'image', reference: `registry.local:5000/shop/api@sha256:${'a'.repeat(64)}`, digest: `sha256:${'a'.repeat(64)}` });
    expect(stable?.specHash).toBe(specHashOf(stable!));
  });

  it('given a blue-green release whose blue slot takes all traffic and no previous state, then it is refused as slot-unresolved', () => {
    const error = thrown(() => desiredFromWorkloadJson(fixture('blue-green'), REV_A));
    expect(error.code).toBe('gitops.slot-unresolved');
    expect(error.message).toContain('slot blue takes 100%');
  });

  it('given a blue-green release whose pinned slot is described by the previous state, then both slots are desired', () => {
    const previous = desiredFromWorkloadJson(fixture('rolling-npm').replace(/1\.4\.0/g, '1.3.0'), REV_B);
    const desired = desiredFromWorkloadJson(fixture('blue-green'), REV_A, { previous });
    expect(desired.workloads.map((w) => [w.name, w.version, w.replicas])).toEqual([['shop-api-blue', '1.3.0', 2], ['shop-api-green', '1.4.0', 2]]);
    expect(desired.weights).toEqual([{ slot: 'blue', weight: 100 }, { slot: 'green', weight: 0 }]);
  });

  it('given an unresolved slot without traffic, then it is left out (the runtime keeps what runs there)', () => {
    const doc = edit('blue-green', (d) => {
      d.slots = [{ slot: 'blue', weight: 0, replicas: 2, revision: REV_B, releaseId: null, version: null }, { slot: 'green', weight: 100, replicas: 2, revision: null, releaseId: RELEASE, version: '1.4.0' }];
    });
    const desired = desiredFromWorkloadJson(JSON.stringify(doc), REV_A);
    expect(desired.workloads.map((w) => w.name)).toEqual(['shop-api-green']);
    // nor is it a route: a first blue-green release has one slot to send traffic to
    expect(desired.weights).toEqual([{ slot: 'green', weight: 100 }]);
  });

  it('given the next canary after one promoted in the canary slot, then the stable slot takes the promoted release\'s spec from the canary slot', () => {
    const previousRelease = desiredFromWorkloadJson(fixture('rolling-npm').replace(/1\.4\.0/g, '1.3.0').replace(RELEASE, PREVIOUS_RELEASE), REV_B);
    const promoted = desiredFromWorkloadJson(fixture('canary'), REV_A, { previous: previousRelease });
    const next = edit('canary', (d) => {
      d.version = '1.5.0';
      d.releaseId = NEXT_RELEASE;
      d.slots = [{ slot: 'stable', weight: 90, replicas: 4, revision: REV_A, releaseId: RELEASE, version: '1.4.0' }, { slot: 'canary', weight: 10, replicas: 1, revision: null, releaseId: NEXT_RELEASE, version: '1.5.0' }];
    });
    const desired = desiredFromWorkloadJson(JSON.stringify(next), REV_C, { previous: promoted });
    const [stable, canary] = desired.workloads;
    const was = promoted.workloads.find((w) => w.slot === 'canary')!;
    expect(stable).toMatchObject({ name: 'shop-api-stable', slot: 'stable', version: '1.4.0', releaseId: RELEASE, replicas: 4, artifact: was.artifact });
    expect(canary).toMatchObject({ name: 'shop-api-canary', slot: 'canary', version: '1.5.0', releaseId: NEXT_RELEASE, replicas: 1 });
  });

  it('given a first blue-green release re-synced over its own applied state, then the idle slot stays empty', () => {
    const first = edit('blue-green', (d) => {
      d.slot = 'blue';
      d.slots = [{ slot: 'blue', weight: 100, replicas: 2, revision: null, releaseId: RELEASE, version: '1.4.0' }, { slot: 'green', weight: 0, replicas: 2, revision: null, releaseId: null, version: null }];
    });
    const applied = desiredFromWorkloadJson(JSON.stringify(first), REV_A);
    const again = desiredFromWorkloadJson(JSON.stringify(first), REV_A, { previous: applied });
    expect(again.workloads.map((w) => w.name)).toEqual(['shop-api-blue']);
    expect(again).toEqual(applied);
  });

  it('given the same workload with keys in another order, then the specHash is the same; a changed env changes it', () => {
    const doc = fixtureDoc('rolling-npm');
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(doc).reverse()));
    const hash = (json: string) => desiredFromWorkloadJson(json, REV_A).workloads[0]?.specHash;
    expect(hash(reordered)).toBe(hash(fixture('rolling-npm')));
    expect(hash(JSON.stringify({ ...doc, env: { LOG_LEVEL: 'debug' } }))).not.toBe(hash(fixture('rolling-npm')));
  });
});

describe('desiredFromWorkloadJson: a manifest that fails validation is refused with its reasons', () => {
  it('given text that is not JSON', () => {
    const error = thrown(() => desiredFromWorkloadJson('{"application": ', REV_A));
    expect(error.code).toBe('gitops.invalid-workload');
    expect(error.details?.reasons).toEqual([{ subject: 'workload.json', message: expect.stringContaining('is not JSON') }]);
  });

  it('given a JSON array instead of an object', () => {
    expect(reasonsOf([1, 2])).toEqual([{ subject: 'workload.json', message: 'must be a JSON object' }]);
  });

  it('given a file for another application', () => {
    const error = thrown(() => desiredFromWorkloadJson(fixture('rolling-npm'), REV_A, { application: 'billing' }));
    expect(error.details?.reasons).toEqual([{ subject: 'application', message: 'names shop, but the file is for billing' }]);
  });

  it('given a file for another environment', () => {
    const error = thrown(() => desiredFromWorkloadJson(fixture('rolling-npm'), REV_A, { environment: 'prod1' }));
    expect(error.details?.reasons).toEqual([{ subject: 'environment', message: 'names dev1, but the file is for prod1' }]);
  });

  it('given a workload name that is not a slug', () => {
    expect(reasonsOf(edit('rolling-npm', (d) => (d.name = 'Shop API')))).toEqual([{ subject: 'name', message: expect.stringContaining('must be a slug') }]);
  });

  it('given no version', () => {
    expect(reasonsOf(edit('rolling-npm', (d) => delete d.version))).toEqual([{ subject: 'version', message: 'must be a non-empty string' }]);
  });

  it('given an empty command', () => {
    expect(reasonsOf(edit('rolling-npm', (d) => (d.command = [])))).toEqual([{ subject: 'command', message: expect.stringContaining('non-empty array') }]);
  });

  it('given a command that is a shell string', () => {
    expect(reasonsOf(edit('rolling-npm', (d) => (d.command = 'node dist/main.js')))).toEqual([{ subject: 'command', message: expect.stringContaining('argv') }]);
  });

  it('given a port out of range', () => {
    expect(reasonsOf(edit('rolling-npm', (d) => (d.port = 70000)))).toEqual([{ subject: 'port', message: 'must be null or an integer 1–65535' }]);
  });

  it('given a health path without a port', () => {
    expect(reasonsOf(edit('rolling-npm', (d) => (d.port = null)))).toEqual([{ subject: 'healthPath', message: 'is set but port is null: there is nothing to probe it on' }]);
  });

  it('given a health path that is not a path', () => {
    expect(reasonsOf(edit('rolling-npm', (d) => (d.healthPath = 'health')))).toEqual([{ subject: 'healthPath', message: 'must be null or a path starting with "/"' }]);
  });

  it('given an env value that is not a string', () => {
    expect(reasonsOf(edit('rolling-npm', (d) => (d.env = { PORT: 8080 })))).toEqual([{ subject: 'env', message: 'must map variable names to string values' }]);
  });

  it('given negative replicas', () => {
    expect(reasonsOf(edit('rolling-npm', (d) => (d.replicas = -1)))).toEqual([{ subject: 'replicas', message: 'must be an integer 0–50' }]);
  });

  it('given an unknown strategy', () => {
    expect(reasonsOf(edit('rolling-npm', (d) => (d.strategy = { kind: 'recreate' })))).toEqual([{ subject: 'strategy.kind', message: 'must be rolling, blue-green or canary' }]);
  });

  it('given a rolling strategy with slots', () => {
    const doc = edit('rolling-npm', (d) => (d.slots = fixtureDoc('canary').slots));
    expect(reasonsOf(doc)).toEqual([{ subject: 'slots', message: expect.stringContaining('must be empty for a rolling strategy') }]);
  });

  it('given canary weights that do not add up to 100', () => {
    const doc = edit('canary', (d) => ((d.slots as Array<{ weight: number }>)[0]!.weight = 70));
    expect(reasonsOf(doc)).toEqual([{ subject: 'slots', message: 'weights sum to 90; they must add up to 100' }]);
  });

  it('given a slot the strategy does not have', () => {
    const doc = edit('canary', (d) => ((d.slots as Array<{ slot: string }>)[0]!.slot = 'blue'));
    expect(reasonsOf(doc)).toEqual([{ subject: 'slots[0].slot', message: 'must be one of stable, canary' }]);
  });

  it('given the same slot twice', () => {
    const doc = edit('canary', (d) => ((d.slots as Array<{ slot: string }>)[0]!.slot = 'canary'));
    expect(reasonsOf(doc)).toEqual([{ subject: 'slots', message: 'must name each of stable and canary exactly once, not canary, canary' }]);
  });

  it('given a weight that is not an integer percentage', () => {
    const doc = edit('canary', (d) => ((d.slots as Array<{ weight: number }>)[1]!.weight = 20.5));
    expect(reasonsOf(doc)).toEqual([{ subject: 'slots[1].weight', message: 'must be an integer 0–100' }]);
  });

  it('given a target slot the slots do not list', () => {
    expect(reasonsOf(edit('canary', (d) => (d.slot = null)))).toEqual([{ subject: 'slot', message: 'must name the slot this release goes to, one of stable, canary' }]);
  });

  it('given a target slot that runs another version', () => {
    expect(reasonsOf(edit('canary', (d) => (d.slot = 'stable')))).toEqual([{ subject: 'slot', message: 'slot stable runs 1.3.0, but this release is 1.4.0' }]);
  });

  it('given an image not pinned by digest', () => {
    const doc = edit('canary', (d) => (d.runtime = { kind: 'image', image: 'registry.local:5000/shop/api:1.4.0' }));
    expect(reasonsOf(doc)).toEqual([{ subject: 'runtime.image', message: expect.stringContaining('pinned by digest') }]);
  });

  it('given an npm package without its feed', () => {
    const doc = edit('rolling-npm', (d) => (d.runtime = { kind: 'npm-package', package: { name: '@shop/api', version: '1.4.0' } }));
    expect(reasonsOf(doc)).toEqual([{ subject: 'runtime.package', message: 'must name the npm package: name, version and feed.name' }]);
  });

  it('given an unknown runtime kind', () => {
    expect(reasonsOf(edit('rolling-npm', (d) => (d.runtime = { kind: 'zip' })))).toEqual([{ subject: 'runtime.kind', message: 'must be image or npm-package' }]);
  });

  it('given several problems, then every one is reported and the message names the first', () => {
    const doc = edit('rolling-npm', (d) => {
      d.replicas = 'two';
      d.command = [];
    });
    const error = thrown(() => desiredFromWorkloadJson(JSON.stringify(doc), REV_A));
    expect((error.details?.reasons as Reason[]).map((r) => r.subject)).toEqual(['command', 'replicas']);
    expect(error.message).toBe(`workload.json at ${REV_A.slice(0, 12)} is invalid: command must be a non-empty array of non-empty strings (argv, no shell) (and 1 more)`);
  });
});
