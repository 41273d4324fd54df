// Two small deterministic serialisers for rendered manifests: block-style YAML for Kubernetes and canonical JSON
// for the local runtime. No dependency, because the bytes are the contract: the same value must give the same
// bytes on every machine and every version of this service, or GitOps sees a change that is not one.

export type YamlScalar = string | number | boolean | null;
export type YamlValue = YamlScalar | readonly YamlValue[] | YamlMap;
// Keys are written in insertion order (the caller builds objects in Kubernetes' conventional order); an
// undefined value leaves the key out. Integer-like keys would be reordered by JS itself: the renderer has none.
export interface YamlMap {
  readonly [key: string]: YamlValue | undefined;
}

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue | undefined };

/** One YAML document (no `---`), ending in a newline. */
export function toYaml(document: YamlMap): string {
  return `${mapLines(document, 0).join('\n')}\n`;
}

// YAML 1.1 (Kubernetes' parser, sigs.k8s.io/yaml) reads these as booleans or null whatever the case; 1.2 fewer.
const RESERVED = new Set(['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false', 'null', '~']);
// What may stay plain: starts with a letter, "_" or "/" (so never a number, ".inf", "-", "~" or an indicator),
// then only characters no YAML version gives a meaning inside a plain scalar. Everything else is double-quoted.
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./-]*$/;

/** A scalar as YAML text: plain when nothing can misread it, otherwise double-quoted. */
export function yamlScalar(value: YamlScalar): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`cannot write ${value} as a YAML number`);
    return String(value);
  }
  if (PLAIN.test(value) && !RESERVED.has(value.toLowerCase())) return value;
  return doubleQuoted(value);
}

function doubleQuoted(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\t') out += '\\t';
    else if (char === '\r') out += '\\r';
    // C0/C1 controls, DEL, and the characters YAML 1.1 treats as line breaks (NEL, LS, PS) or strips (BOM)
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029 || code === 0xfeff) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else out += char;
  }
  return `${out}"`;
}

function isCollection(value: YamlValue): value is readonly YamlValue[] | YamlMap {
  return typeof value === 'object' && value !== null;
}

function isEmpty(value: readonly YamlValue[] | YamlMap): boolean {
  return Array.isArray(value) ? value.length === 0 : definedEntries(value as YamlMap).length === 0;
}

function definedEntries(map: YamlMap): Array<[string, YamlValue]> {
  return Object.entries(map).filter((entry): entry is [string, YamlValue] => entry[1] !== undefined);
}

// An empty collection is written inline ({} / []): block style has no way to say "empty".
function inline(value: YamlValue): string | undefined {
  if (!isCollection(value)) return yamlScalar(value);
  if (isEmpty(value)) return Array.isArray(value) ? '[]' : '{}';
  return undefined;
}

function mapLines(map: YamlMap, indent: number): string[] {
  const pad = ' '.repeat(indent);
  return definedEntries(map).flatMap(([key, value]) => {
    const text = inline(value);
    if (text !== undefined) return [`${pad}${yamlScalar(key)}: ${text}`];
    return [`${pad}${yamlScalar(key)}:`, ...blockLines(value as readonly YamlValue[] | YamlMap, indent + 2)];
  });
}

function blockLines(value: readonly YamlValue[] | YamlMap, indent: number): string[] {
  return Array.isArray(value) ? sequenceLines(value, indent) : mapLines(value as YamlMap, indent);
}

// Sequence items sit indented under their key ("key:\n  - a"); a collection item starts on the dash line.
function sequenceLines(items: readonly YamlValue[], indent: number): string[] {
  const pad = ' '.repeat(indent);
  return items.flatMap((item) => {
    const text = inline(item);
    if (text !== undefined) return [`${pad}- ${text}`];
    const lines = blockLines(item as readonly YamlValue[] | YamlMap, indent + 2);
    const [first = '', ...rest] = lines;
    return [`${pad}- ${first.slice(indent + 2)}`, ...rest];
  });
}

/** Canonical JSON: keys sorted by code unit at every level, 2-space indent, trailing newline. */
export function canonicalJson(value: JsonValue): string {
  return `${canonical(value, '')}\n`;
}

function canonical(value: JsonValue, pad: string): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`cannot write ${value} as a JSON number`);
    return JSON.stringify(value);
  }
  const inner = `${pad}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item: JsonValue) => `${inner}${canonical(item, inner)}`).join(',\n')}\n${pad}]`;
  }
  // JS orders integer-like keys first whatever was inserted, so sort the entries rather than trust the object
  const entries = Object.entries(value as { [key: string]: JsonValue | undefined })
    .filter((entry): entry is [string, JsonValue] => entry[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([key, item]) => `${inner}${JSON.stringify(key)}: ${canonical(item, inner)}`).join(',\n')}\n${pad}}`;
}
