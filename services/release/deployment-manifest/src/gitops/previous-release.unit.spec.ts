import { renderManifests } from '../domain/manifest.renderer';
import { input, previous, PREVIOUS } from '../domain/manifest.test-fixture';
import { previousReleaseOf } from './previous-release';

const workloadJsonOf = (release: ReturnType<typeof input>) => {
  const file = renderManifests(release).files.find((f) => f.path.endsWith('/workload.json'));
  return Buffer.from(file!.content);
};

describe('previousReleaseOf', () => {
  it('reads the release another render left in workload.json', () => {
    const other = input({ releaseId: PREVIOUS, version: previous.version, artifacts: previous.artifacts }, { ...previous.workload, env: { LOG_LEVEL: 'debug' } });
    expect(previousReleaseOf(workloadJsonOf(other), input())).toEqual({ ...previous, workload: { ...previous.workload, env: { LOG_LEVEL: 'debug' } } });
  });

  it('drops the fields workload.json writes as null', () => {
    const other = input({ releaseId: PREVIOUS }, { port: undefined, healthPath: undefined });
    const found = previousReleaseOf(workloadJsonOf(other), input());
    expect(found?.workload).not.toHaveProperty('port');
    expect(found?.workload).not.toHaveProperty('healthPath');
  });

  it('is none for the release itself (a later step), no file, or a file the renderer did not write', () => {
    expect(previousReleaseOf(workloadJsonOf(input()), input())).toBeUndefined();
    expect(previousReleaseOf(undefined, input())).toBeUndefined();
    expect(previousReleaseOf(Buffer.from('not json'), input())).toBeUndefined();
    expect(previousReleaseOf(Buffer.from('{"releaseId":"r-1","name":"shop-api"}'), input())).toBeUndefined();
    expect(previousReleaseOf(Buffer.from('null'), input())).toBeUndefined();
  });
});
