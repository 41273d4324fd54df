import { parse } from 'yaml';
import type { PreviousRelease, RenderedManifests, RenderManifestInput } from './manifest.renderer';

// Inputs and readers shared by the renderer's unit specs (manifest.renderer and manifest.slots).

export const RELEASE = '0192f3a4-5b6c-7d8e-9f01-23456789abcd';
export const PREVIOUS = '0192f3a4-0000-7000-8000-000000000001';
export const OLD_REVISION = 'b'.repeat(40);
export const DIR = 'apps/shop/dev1';
export const digest = (hex: string) => `sha256:${hex.repeat(64)}`;
export const image = { registry: 'registry.local:5000', repository: 'shop/api', tag: '1.4.0', digest: digest('a') };
export const pinned = `registry.local:5000/shop/api@${digest('a')}`;
export const npmPackage = { format: 'npm' as const, name: '@shop/api', version: '1.4.0', feed: { kind: 'npm-registry' as const, name: 'internal' }, integrity: 'sha512-AbC+/9=' };

export function input(overrides: Partial<RenderManifestInput> = {}, workload: Partial<RenderManifestInput['workload']> = {}): RenderManifestInput {
  return {
    releaseId: RELEASE,
    environment: 'dev1',
    application: 'shop',
    version: '1.4.0',
    artifacts: { packages: [npmPackage], images: [image] },
    workload: { name: 'shop-api', command: ['node', 'dist/main.js'], port: 8080, healthPath: '/health', env: { LOG_LEVEL: 'info' }, replicas: 2, ...workload },
    strategy: { kind: 'rolling' },
    gitops: { repositoryId: 'gitops-1', branch: 'main', path: DIR },
    ...overrides,
  };
}

export const previous: PreviousRelease = {
  releaseId: PREVIOUS,
  version: '1.3.0',
  artifacts: { packages: [], images: [{ ...image, tag: '1.3.0', digest: digest('b') }] },
  workload: { name: 'shop-api', command: ['node', 'old/main.js'], port: 8080, healthPath: '/health', replicas: 2 },
};

export const names = (out: RenderedManifests) => out.files.map((f) => f.path.slice(DIR.length + 1));
export function textOf(out: RenderedManifests, name: string): string {
  const file = out.files.find((f) => f.path === `${DIR}/${name}`);
  if (!file) throw new Error(`no ${name} in ${names(out).join(', ')}`);
  return file.content;
}
// read as Kubernetes does (YAML 1.1): a string the writer failed to quote would come back as a bool or number
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const yamlOf = (out: RenderedManifests, name: string): any => parse(textOf(out, name), { version: '1.1' });
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const workloadOf = (out: RenderedManifests): any => JSON.parse(textOf(out, 'workload.json'));
