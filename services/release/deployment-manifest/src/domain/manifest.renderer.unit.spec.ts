import { createHash } from 'node:crypto';
import { ValidationError } from '@delivery/messaging';
import { contentDigestOf, renderManifests, revisionLabelOf, type RenderManifestInput, type RenderOptions } from './manifest.renderer';
import { digest, DIR, image, input, names, npmPackage, OLD_REVISION, pinned, previous, RELEASE, textOf, workloadOf, yamlOf } from './manifest.test-fixture';

function errorOf(render: () => unknown): ValidationError {
  try {
    render();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('rendered without an error');
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function reverseKeys(value: any): any {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function sortKeys(value: any): any {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
}

const LABELS = [
  '    app.kubernetes.io/managed-by: delivery-platform',
  '    app.kubernetes.io/name: shop-api',
  '    app.kubernetes.io/part-of: shop',
  '    app.kubernetes.io/version: "1.4.0"',
  '    delivery.platform/environment: dev1',
  `    delivery.platform/release-id: "${RELEASE}"`,
];
const indent = (lines: string[], by: number) => lines.map((line) => ' '.repeat(by) + line);

describe('renderManifests', () => {
  describe('determinism', () => {
    const canary = input({ strategy: { kind: 'canary', steps: [{ weight: 10 }, { weight: 100 }] }, trafficWeights: [{ slot: 'stable', weight: 90, revision: OLD_REVISION }, { slot: 'canary', weight: 10 }] }, { env: { B: 'yes', A: '0123', C: 'x' }, replicas: 10 });
    const options: RenderOptions = { namespace: 'shop', gateway: { name: 'public' }, previous };

    it('given the same input twice, then the same bytes and digests', () => {
      expect(renderManifests(canary, options)).toEqual(renderManifests(structuredClone(canary), structuredClone(options)));
    });

    it('given the same input with every key and the env in another order, then identical output', () => {
      const shuffled = reverseKeys(canary) as RenderManifestInput;
      expect(Object.keys(shuffled.workload.env ?? {})).toEqual(['C', 'A', 'B']);
      expect(renderManifests(shuffled, reverseKeys(options))).toEqual(renderManifests(canary, options));
    });

    it('digests each file as sha256 of its bytes and the set as sha256sum of "<hex>  <path>" lines in path order', () => {
      const out = renderManifests(canary, options);
      const sha = (text: string) => createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex');
      for (const file of out.files) expect(file.digest).toBe(`sha256:${sha(file.content)}`);
      expect(out.files.map((f) => f.path)).toEqual([...out.files.map((f) => f.path)].sort());
      expect(out.contentDigest).toBe(`sha256:${sha(out.files.map((f) => `${f.digest.slice(7)}  ${f.path}\n`).join(''))}`);
      expect(contentDigestOf([...out.files].reverse())).toBe(out.contentDigest);
    });

    it('given one changed env value, then only the files carrying it change', () => {
      const before = renderManifests(input());
      const after = renderManifests(input({}, { env: { LOG_LEVEL: 'debug' } }));
      const changed = after.files.filter((f, i) => f.digest !== before.files[i]?.digest).map((f) => f.path);
      expect(changed).toEqual([`${DIR}/deployment.yaml`, `${DIR}/workload.json`]);
      expect(after.contentDigest).not.toBe(before.contentDigest);
    });

    it('given a trailing slash on the GitOps path, then the same paths', () => {
      expect(renderManifests(input({ gitops: { repositoryId: 'gitops-1', branch: 'main', path: `${DIR}/` } }))).toEqual(renderManifests(input()));
    });
  });

  describe('rolling', () => {
    const out = renderManifests(input({ strategy: { kind: 'rolling', maxSurgePercent: 25, maxUnavailablePercent: 0 } }), { namespace: 'shop-dev' });

    it('renders a Deployment, a Service and workload.json under the GitOps path', () => {
      expect(out.files.map((f) => f.path)).toEqual([`${DIR}/deployment.yaml`, `${DIR}/service.yaml`, `${DIR}/workload.json`]);
    });

    it('writes the Deployment exactly', () => {
      expect(textOf(out, 'deployment.yaml')).toBe(
        [
          'apiVersion: apps/v1',
          'kind: Deployment',
          'metadata:',
          '  name: shop-api',
          '  namespace: shop-dev',
          '  labels:',
          ...LABELS,
          'spec:',
          '  replicas: 2',
          '  selector:',
          '    matchLabels:',
          '      app.kubernetes.io/name: shop-api',
          '  strategy:',
          '    type: RollingUpdate',
          '    rollingUpdate:',
          '      maxSurge: "25%"',
          '      maxUnavailable: "0%"',
          '  template:',
          '    metadata:',
          '      labels:',
          ...indent(LABELS, 4),
          '    spec:',
          '      containers:',
          '        - name: shop-api',
          `          image: "${pinned}"`,
          '          command:',
          '            - node',
          '            - dist/main.js',
          '          ports:',
          '            - name: http',
          '              containerPort: 8080',
          '              protocol: TCP',
          '          env:',
          '            - name: LOG_LEVEL',
          '              value: info',
          '          readinessProbe:',
          '            httpGet:',
          '              path: /health',
          '              port: http',
          '          livenessProbe:',
          '            httpGet:',
          '              path: /health',
          '              port: http',
          '',
        ].join('\n'),
      );
    });

    it('writes the Service exactly', () => {
      expect(textOf(out, 'service.yaml')).toBe(
        [
          'apiVersion: v1',
          'kind: Service',
          'metadata:',
          '  name: shop-api',
          '  namespace: shop-dev',
          '  labels:',
          ...LABELS,
          'spec:',
          '  selector:',
          '    app.kubernetes.io/name: shop-api',
          '  ports:',
          '    - name: http',
          '      port: 8080',
          '      targetPort: http',
          '      protocol: TCP',
          '',
        ].join('\n'),
      );
    });

    it('writes workload.json as canonical JSON with the runtime-neutral fields', () => {
      const text = textOf(out, 'workload.json');
      // keys sorted at every level, JSON.stringify's 2-space layout, a trailing newline
      expect(text).toBe(`${JSON.stringify(sortKeys(JSON.parse(text)), null, 2)}\n`);
      const workload = workloadOf(out);
      expect(workload).toEqual({
        application: 'shop',
        environment: 'dev1',
        version: '1.4.0',
        releaseId: RELEASE,
        revisionLabel: '1.4.0',
        name: 'shop-api',
        command: ['node', 'dist/main.js'],
        port: 8080,
        healthPath: '/health',
        env: { LOG_LEVEL: 'info' },
        replicas: 2,
        strategy: { kind: 'rolling', maxSurgePercent: 25, maxUnavailablePercent: 0 },
        slot: null,
        slots: [],
        artifacts: { images: [image], packages: [npmPackage] },
        runtime: { kind: 'image', image: pinned },
      });
    });

    it('leaves the namespace out without one and the rollout parameters to Kubernetes when none are given', () => {
      const plain = yamlOf(renderManifests(input()), 'deployment.yaml');
      expect(plain.metadata.namespace).toBeUndefined();
      expect(plain.spec.strategy).toEqual({ type: 'RollingUpdate' });
    });

    it('given no port, then no Service, no ports and no probes (a worker)', () => {
      const worker = renderManifests(input({}, { port: undefined, healthPath: undefined }));
      expect(names(worker)).toEqual(['deployment.yaml', 'workload.json']);
      const container = yamlOf(worker, 'deployment.yaml').spec.template.spec.containers[0];
      expect(Object.keys(container)).toEqual(['name', 'image', 'command', 'env']);
      expect(workloadOf(worker)).toMatchObject({ port: null, healthPath: null });
    });

    it('puts a label-safe version in app.kubernetes.io/version and keeps the real one in workload.json', () => {
      const built = renderManifests(input({ version: '1.4.0-rc.1+build.7' }));
      expect(revisionLabelOf('1.4.0-rc.1+build.7')).toBe('1.4.0-rc.1_build.7');
      expect(yamlOf(built, 'deployment.yaml').metadata.labels['app.kubernetes.io/version']).toBe('1.4.0-rc.1_build.7');
      expect(workloadOf(built)).toMatchObject({ version: '1.4.0-rc.1+build.7', revisionLabel: '1.4.0-rc.1_build.7' });
    });
  });

  describe('YAML quoting', () => {
    it('round-trips tricky env values and argv through a YAML 1.1 reader, env sorted by name', () => {
      const env = { E_YES: 'yes', D_ZERO: '0123', C_COLON: 'a: b', B_HASH: '#x', A_EMPTY: '', F_MULTI: 'line one\nline two\n', G_ON: 'on', H_NULL: '~', I_SPACE: ' padded ' };
      const command = ['node', '-e', 'console.log("hi") # not a comment', '--flag=*', '&x', '!y', '%z', '@w', '`tick`', '{a}', '[b]'];
      const out = renderManifests(input({}, { env, command }));
      const container = yamlOf(out, 'deployment.yaml').spec.template.spec.containers[0];
      expect(container.env).toEqual(Object.keys(env).sort().map((name) => ({ name, value: env[name as keyof typeof env] })));
      expect(container.command).toEqual(command);
      expect(textOf(out, 'deployment.yaml')).toContain(
        ['- name: A_EMPTY', '  value: ""', '- name: B_HASH', '  value: "#x"', '- name: C_COLON', '  value: "a: b"', '- name: D_ZERO', '  value: "0123"', '- name: E_YES', '  value: "yes"', '- name: F_MULTI', '  value: "line one\\nline two\\n"']
          .map((line) => `            ${line}`)
          .join('\n'),
      );
    });
  });

  describe('artifacts', () => {
    it('pins the first image by digest, whatever its tag and whatever images follow', () => {
      const second = { registry: 'other.local', repository: 'shop/api', tag: 'latest', digest: digest('c') };
      const out = renderManifests(input({ artifacts: { packages: [], images: [image, second] } }));
      expect(yamlOf(out, 'deployment.yaml').spec.template.spec.containers[0].image).toBe(pinned);
      expect(textOf(out, 'deployment.yaml')).not.toContain(':1.4.0');
      expect(workloadOf(out).runtime).toEqual({ kind: 'image', image: pinned });
      expect(workloadOf(out).artifacts.images).toEqual([image, second]);
    });

    it('given only packages, then workload.json alone, telling the local runtime to run the first npm package with node', () => {
      const second = { ...npmPackage, name: '@shop/worker' };
      const out = renderManifests(input({ artifacts: { packages: [npmPackage, second], images: [] } }));
      expect(names(out)).toEqual(['workload.json']);
      expect(workloadOf(out).runtime).toEqual({
        kind: 'npm-package',
        package: npmPackage,
        note: "no container image: the local runtime installs @shop/api@1.4.0 from feed internal and runs command with the machine's node",
      });
      expect(workloadOf(out).artifacts).toEqual({ images: [], packages: [npmPackage, second] });
    });
  });

  describe('validation', () => {
    const canaryStrategy = { kind: 'canary' as const, steps: [{ weight: 100 }] };
    const cases: Array<[string, RenderManifestInput, RenderOptions, RegExp]> = [
      ['manifest.health-path-without-port', input({}, { port: undefined }), {}, /set workload.port or drop healthPath/],
      ['manifest.no-artifacts', input({ artifacts: { packages: [], images: [] } }), {}, /add artifacts/],
      ['manifest.package-not-runnable', input({ artifacts: { packages: [{ ...npmPackage, format: 'nuget' }, npmPackage], images: [] } }), {}, /add an image or put an npm package first/],
      ['manifest.name', input({}, { name: 'shop-api-' }), {}, /end in a letter or digit/],
      ['manifest.name', input({ strategy: canaryStrategy }, { name: `a${'b'.repeat(56)}` }), {}, /at most 56 characters/],
      ['manifest.label-value', input({ releaseId: 'provider:42' }), {}, /releaseId "provider:42" cannot be a Kubernetes label value/],
      ['manifest.label-value', input({ version: `1.0.0-${'a'.repeat(60)}` }), {}, /version .* at most 63/],
      ['manifest.namespace', input(), { namespace: 'Shop_Dev' }, /not a DNS label/],
      ['manifest.gateway', input(), { gateway: { name: 'public', namespace: 'Bad NS' } }, /name the Gateway/],
      ['manifest.weights-not-supported', input({ trafficWeights: [{ slot: 'stable', weight: 100 }] }), {}, /remove trafficWeights/],
      ['manifest.rolling-stalled', input({ strategy: { kind: 'rolling', maxSurgePercent: 0, maxUnavailablePercent: 0 } }), {}, /raise one of them/],
      [
        'manifest.weights-slot',
        input({ strategy: { kind: 'blue-green' }, trafficWeights: [{ slot: 'blue', weight: 90, revision: OLD_REVISION }, { slot: 'canary', weight: 10 }] }),
        {},
        /names canary: use blue\/green/,
      ],
      ['manifest.weights-slot', input({ strategy: canaryStrategy, trafficWeights: [{ slot: 'green', weight: 100 }] }), {}, /use stable\/canary/],
      ['manifest.weights-duplicate-slot', input({ strategy: canaryStrategy, trafficWeights: [{ slot: 'canary', weight: 50 }, { slot: 'canary', weight: 50 }] }), {}, /give each slot one weight/],
      [
        'manifest.weights-sum',
        input({ strategy: canaryStrategy, trafficWeights: [{ slot: 'stable', weight: 80, revision: OLD_REVISION }, { slot: 'canary', weight: 10 }] }),
        {},
        /sum to 90: .* must add up to 100/,
      ],
      [
        'manifest.blue-green-split',
        input({ strategy: { kind: 'blue-green' }, trafficWeights: [{ slot: 'blue', weight: 50, revision: OLD_REVISION }, { slot: 'green', weight: 50 }] }),
        {},
        /give one slot weight 100 and the other 0/,
      ],
      ['manifest.target-slot', input({ strategy: canaryStrategy, trafficWeights: [{ slot: 'stable', weight: 90 }, { slot: 'canary', weight: 10 }] }), {}, /leave exactly one unpinned/],
      ['manifest.target-slot', input({ strategy: canaryStrategy, trafficWeights: [{ slot: 'stable', weight: 100, revision: OLD_REVISION }] }), {}, /0 slots .* leave exactly one unpinned/],
      [
        'manifest.canary-replicas',
        input({ strategy: canaryStrategy, trafficWeights: [{ slot: 'stable', weight: 90, revision: OLD_REVISION }, { slot: 'canary', weight: 10 }] }, { replicas: 1 }),
        {},
        /raise workload.replicas or route with a Gateway/,
      ],
      [
        'manifest.previous-mismatch',
        input({ strategy: { kind: 'blue-green' } }),
        { previous: { ...previous, workload: { ...previous.workload, name: 'shop-web' } } },
        /the slots of a pair share one name/,
      ],
      [
        'manifest.previous-not-runnable',
        input({ strategy: { kind: 'blue-green' } }),
        { previous: { ...previous, artifacts: { packages: [npmPackage], images: [] } } },
        /pass the previous release that was deployed from an image/,
      ],
      ['manifest.health-path-without-port', input({ strategy: { kind: 'blue-green' } }), { previous: { ...previous, workload: { ...previous.workload, port: undefined } } }, /the previous release has healthPath/],
    ];

    it.each(cases)('%s (case %#)', (code, given, options, fix) => {
      const error = errorOf(() => renderManifests(given, options));
      expect(error.code).toBe(code);
      expect(error.message).toMatch(fix);
    });
  });
});
