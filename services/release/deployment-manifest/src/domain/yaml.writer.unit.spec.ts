import { parse } from 'yaml';
import { canonicalJson, toYaml, yamlScalar } from './yaml.writer';

// `yaml` is only in node_modules as a dev tool's dependency; it serves here as an independent reader, in both the
// YAML 1.1 rules Kubernetes' parser follows and the 1.2 core rules. Merge keys off: this reader takes even a
// quoted "<<" key for one, where go-yaml (and the spec) merge only on a plain <<; we never write merge keys.
const readBoth = (text: string) => [parse(text, { version: '1.1', merge: false }), parse(text, { version: '1.2' })];

const TRICKY = [
  'yes', 'no', 'Yes', 'ON', 'off', 'y', 'N', 'true', 'False', 'null', 'Null', '~', '',
  '0123', '123', '1.5', '.5', '1e3', '0x1f', '0o17', '12:30', '2024-01-01', '.inf', '-.inf', '.NaN', '+1',
  'a: b', 'a:b', 'a #b', '#x', '-', '- x', '-x', '--port=8080', '{a}', '[a]', '*ref', '&anchor', '!tag', '%dir', '@at', '`tick`',
  '|', '>', "'single'", '"double"', 'back\\slash', ' leading', 'trailing ', 'two  spaces', '<<', '=', '?', ',',
  'multi\nline', 'ends with newline\n', '\n', 'tab\there', 'cr\r\n', 'bell\u0007', 'nel\u0085', 'ls\u2028', 'bom\ufeff', 'del\u007f',
  'héllo wörld', '日本語', 'emoji 🚀',
];

describe('yamlScalar', () => {
  it('leaves identifiers, paths and dotted names plain', () => {
    for (const s of ['node', 'dist/main.js', '/health', 'app.kubernetes.io/name', 'shop-api', '_private', 'Deployment', 'apps/v1']) {
      expect(yamlScalar(s)).toBe(s);
    }
  });

  it('quotes every string a YAML reader could take for something else', () => {
    expect(yamlScalar('yes')).toBe('"yes"');
    expect(yamlScalar('0123')).toBe('"0123"');
    expect(yamlScalar('a: b')).toBe('"a: b"');
    expect(yamlScalar('#x')).toBe('"#x"');
    expect(yamlScalar('')).toBe('""');
    expect(yamlScalar('multi\nline')).toBe('"multi\\nline"');
    expect(yamlScalar('say "hi"\\')).toBe('"say \\"hi\\"\\\\"');
    expect(yamlScalar('bell\u0007')).toBe('"bell\\u0007"');
    for (const s of TRICKY) expect(yamlScalar(s)).toMatch(/^".*"$/s);
  });

  it('writes numbers, booleans and null as themselves and refuses non-finite numbers', () => {
    expect([yamlScalar(8080), yamlScalar(0), yamlScalar(true), yamlScalar(false), yamlScalar(null)]).toEqual(['8080', '0', 'true', 'false', 'null']);
    expect(() => yamlScalar(Number.NaN)).toThrow(RangeError);
    expect(() => yamlScalar(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('round-trips every tricky string as a value and as a key, under YAML 1.1 and 1.2', () => {
    for (const s of TRICKY) {
      const text = toYaml({ value: s, list: [s], [s]: 'key' });
      for (const read of readBoth(text)) expect(read).toEqual({ value: s, list: [s], [s]: 'key' });
    }
  });
});

describe('toYaml', () => {
  it('writes block style with keys in insertion order, sequences indented under their key', () => {
    const text = toYaml({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x', labels: { b: '1', a: 'on' } },
      spec: { replicas: 2, items: [{ name: 'a', value: 'yes' }, 'plain', [1, 2]], empty: {}, none: [], skipped: undefined },
    });
    expect(text).toBe(
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: x',
        '  labels:',
        '    b: "1"',
        '    a: "on"',
        'spec:',
        '  replicas: 2',
        '  items:',
        '    - name: a',
        '      value: "yes"',
        '    - plain',
        '    - - 1',
        '      - 2',
        '  empty: {}',
        '  none: []',
        '',
      ].join('\n'),
    );
    for (const read of readBoth(text)) {
      expect(read).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'x', labels: { b: '1', a: 'on' } },
        spec: { replicas: 2, items: [{ name: 'a', value: 'yes' }, 'plain', [1, 2]], empty: {}, none: [] },
      });
    }
  });

  it('is byte-stable: the same value twice gives the same text', () => {
    const value = { a: ['x', { b: 'multi\nline', c: null }], d: true };
    expect(toYaml(value)).toBe(toYaml(JSON.parse(JSON.stringify(value))));
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level, indents by two spaces and ends with a newline', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null], c: 'x' }, e: [], f: {} })).toBe(
      '{\n  "a": {\n    "c": "x",\n    "d": [\n      true,\n      null\n    ]\n  },\n  "b": 1,\n  "e": [],\n  "f": {}\n}\n',
    );
  });

  it('gives the same bytes whatever order the keys were inserted in, integer-like keys included', () => {
    expect(canonicalJson({ b: 1, 10: 'x', a: 2, 9: 'y' })).toBe(canonicalJson({ 9: 'y', a: 2, 10: 'x', b: 1 }));
    expect(canonicalJson({ b: 1, 10: 'x', a: 2 })).toBe('{\n  "10": "x",\n  "a": 2,\n  "b": 1\n}\n');
  });

  it('leaves undefined members out, escapes strings as JSON and refuses non-finite numbers', () => {
    expect(canonicalJson({ a: undefined, b: 'line\n"q"' })).toBe('{\n  "b": "line\\n\\"q\\""\n}\n');
    expect(JSON.parse(canonicalJson({ s: 'ünï 🚀 \u2028' }))).toEqual({ s: 'ünï 🚀 \u2028' });
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(RangeError);
  });
});
