// A tiny YAML writer for what the generator emits: maps (in insertion order), lists and strings. Nothing else can
// occur, so there is no number or boolean typing to get wrong and the bytes depend on the tree alone (the `yaml`
// package's line folding is a process-wide setting; this has none).

export type YamlNode = string | YamlNode[] | YamlMap;
export type YamlMap = Map<string, YamlNode>;

/** a map from entries; undefined values are left out, so optional keys keep their place in the order */
export function yamlMap(entries: Array<[string, YamlNode | undefined]>): YamlMap {
  const map: YamlMap = new Map();
  for (const [key, value] of entries) if (value !== undefined) map.set(key, value);
  return map;
}

export function writeYaml(root: YamlMap, header?: string): string {
  const lines: string[] = header === undefined ? [] : [header];
  writeMap(root, 0, lines);
  return `${lines.join('\n')}\n`;
}

function writeMap(map: YamlMap, indent: number, lines: string[]): void {
  const pad = ' '.repeat(indent);
  for (const [key, value] of map) {
    const name = `${pad}${scalar(key)}:`;
    if (typeof value === 'string') lines.push(`${name} ${scalar(value)}`);
    else if (Array.isArray(value)) {
      if (value.length === 0) lines.push(`${name} []`);
      else {
        lines.push(name);
        // Azure Pipelines style: a list under a key starts at the key's own indentation
        writeList(value, indent, lines);
      }
    } else if (value.size === 0) lines.push(`${name} {}`);
    else {
      lines.push(name);
      writeMap(value, indent + 2, lines);
    }
  }
}

function writeList(list: YamlNode[], indent: number, lines: string[]): void {
  const pad = ' '.repeat(indent);
  for (const item of list) {
    if (typeof item === 'string') lines.push(`${pad}- ${scalar(item)}`);
    else if (Array.isArray(item)) {
      if (item.length === 0) lines.push(`${pad}- []`);
      else {
        lines.push(`${pad}-`);
        writeList(item, indent + 2, lines);
      }
    } else if (item.size === 0) lines.push(`${pad}- {}`);
    else {
      // the first entry shares the dash's line; the rest align under it
      const nested: string[] = [];
      writeMap(item, indent + 2, nested);
      const [first, ...rest] = nested;
      lines.push(`${pad}- ${(first ?? '').slice(indent + 2)}`, ...rest);
    }
  }
}

// Plain only when no YAML reading could take it for anything but this string: a conservative alphabet, no leading
// indicator, no number or YAML 1.1 boolean look-alike. Everything else is double-quoted with JSON's escapes, which
// are all valid YAML double-quoted escapes.
const PLAIN = /^[A-Za-z_/$(][A-Za-z0-9_ ./$()@*=+,'-]*$/;
const RESERVED = /^(?:true|false|null|yes|no|on|off|y|n)$/i;

export function scalar(value: string): string {
  if (PLAIN.test(value) && !value.endsWith(' ') && !RESERVED.test(value)) return value;
  return JSON.stringify(value);
}
