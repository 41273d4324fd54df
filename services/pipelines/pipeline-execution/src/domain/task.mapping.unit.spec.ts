import { artifactKindOf, linesOf, nodeVersionSatisfies } from './task.mapping';

describe('task mapping helpers', () => {
  it('matches NodeTool version specs against the machine node', () => {
    expect(nodeVersionSatisfies('20.x', 'v20.20.2')).toBe(true);
    expect(nodeVersionSatisfies('20', 'v20.20.2')).toBe(true);
    expect(nodeVersionSatisfies('20.20.x', 'v20.20.2')).toBe(true);
    expect(nodeVersionSatisfies('20.20.2', 'v20.20.2')).toBe(true);
    expect(nodeVersionSatisfies('>=18', 'v20.20.2')).toBe(true);
    expect(nodeVersionSatisfies('22.x', 'v20.20.2')).toBe(false);
    expect(nodeVersionSatisfies('20.19.x', 'v20.20.2')).toBe(false);
    expect(nodeVersionSatisfies('>=21', 'v20.20.2')).toBe(false);
    expect(nodeVersionSatisfies('lts/*', 'v20.20.2')).toBe(false);
  });

  it('classifies published files by extension', () => {
    expect(artifactKindOf('shop-1.2.0.tgz')).toBe('npm-package');
    expect(artifactKindOf('Shop.Api.1.2.0.NUPKG')).toBe('nuget-package');
    expect(artifactKindOf('report.html')).toBe('file');
  });

  it('splits multi-line glob inputs', () => {
    expect(linesOf('a/**\n\n  !b/**  \r\nc')).toEqual(['a/**', '!b/**', 'c']);
  });
});
