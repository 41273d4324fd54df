import { renderManifests } from '../domain/manifest.renderer';
import { DIR, input, previous } from '../domain/manifest.test-fixture';
import { changesOf, directoryOf, staleFiles } from './manifest.changes';

describe('manifest changes', () => {
  it('reads the repository root from "." and a trailing slash', () => {
    expect(directoryOf('.')).toBe('');
    expect(directoryOf('./')).toBe('');
    expect(directoryOf('apps/shop/')).toBe('apps/shop');
  });

  it('adds new files, updates changed bytes and leaves identical ones out', () => {
    const { files } = renderManifests(input());
    const [deployment, service] = files;
    const current = new Map([
      [deployment!.path, Buffer.from(deployment!.content)],
      [service!.path, Buffer.from('old')],
    ]);
    expect(changesOf(files, current, []).map(({ action, path }) => [action, path])).toEqual([
      ['update', `${DIR}/service.yaml`],
      ['add', `${DIR}/workload.json`],
    ]);
  });

  it('deletes only what the renderer would have written there, never a foreign or a nested file', () => {
    const { files } = renderManifests(input({}, { port: undefined, healthPath: undefined }));
    const existing = [`${DIR}/deployment.yaml`, `${DIR}/service.yaml`, `${DIR}/httproute.yaml`, `${DIR}/kustomization.yaml`, `${DIR}/extra/service.yaml`, 'other/service.yaml'];
    expect(staleFiles(DIR, existing, files)).toEqual([`${DIR}/service.yaml`, `${DIR}/httproute.yaml`]);
  });

  it('keeps the Deployment of a slot whose release the render did not know', () => {
    const canary = { kind: 'canary' as const, steps: [{ weight: 10 }] };
    const existing = [`${DIR}/deployment-stable.yaml`, `${DIR}/deployment-canary.yaml`, `${DIR}/deployment.yaml`];
    const weights = [
      { slot: 'stable' as const, revision: 'b'.repeat(40), weight: 90 },
      { slot: 'canary' as const, weight: 10 },
    ];
    const unknown = renderManifests(input({ strategy: canary, trafficWeights: weights }));
    expect(staleFiles(DIR, existing, unknown.files)).toEqual([`${DIR}/deployment.yaml`]);
    const known = renderManifests(input({ strategy: canary, trafficWeights: weights }), { previous });
    expect(staleFiles(DIR, existing, known.files)).toEqual([`${DIR}/deployment.yaml`]);
    expect(known.files.map((f) => f.path)).toContain(`${DIR}/deployment-stable.yaml`);
  });

  it('works at the repository root', () => {
    const { files } = renderManifests(input({ gitops: { repositoryId: 'gitops-1', branch: 'main', path: '.' } }, { port: undefined, healthPath: undefined }));
    expect(staleFiles('', ['service.yaml', 'README.md', 'apps/service.yaml', 'workload.json'], files)).toEqual(['service.yaml']);
  });
});
