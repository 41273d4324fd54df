import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ReportError } from './report.error';
import { countOf, decimalOf } from './report.numbers';

// A plain element tree over fast-xml-parser's ordered output: reports nest suites at any depth and repeat
// elements freely, which the ordered form represents uniformly (no single-child-versus-array guessing).
export interface XmlElement {
  name: string;
  attributes: Readonly<Record<string, string>>;
  children: XmlElement[];
  /** the element's own text (CDATA included), trimmed */
  text: string;
}

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, unknown> };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  // TRX carries a default namespace and sometimes prefixed ones; element names are what identify a report
  removeNSPrefix: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  htmlEntities: false,
});

/** Bytes of a report as text: UTF-8 (a BOM dropped) or UTF-16 with its BOM, as Visual Studio may write TRX. */
export function textOf(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return Buffer.from(bytes.subarray(2)).swap16().toString('utf16le');
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export function looksLikeXml(text: string): boolean {
  return text.trimStart().startsWith('<');
}

/** The root element of a well-formed document, or report.not-xml with the parser's line and reason. */
export function parseXml(text: string, file: string): XmlElement {
  const source = text.trimStart();
  const valid = XMLValidator.validate(source);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new ReportError('report.not-xml', file, `not well-formed XML (line ${line}${col === undefined ? '' : `, column ${col}`}): ${msg}`);
  }
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(source) as OrderedNode[];
  } catch (error) {
    // what the validator lets through but the parser refuses (entity expansion limits, for one)
    throw new ReportError('report.not-xml', file, `unreadable XML: ${error instanceof Error ? error.message : String(error)}`);
  }
  const roots = nodes.map(elementOf).filter((e): e is XmlElement => e !== undefined);
  const root = roots[0];
  if (!root) throw new ReportError('report.not-xml', file, 'no root element');
  return root;
}

function elementOf(node: OrderedNode): XmlElement | undefined {
  const name = Object.keys(node).find((key) => key !== ':@' && key !== '#text');
  if (name === undefined) return undefined;
  const raw = node[name];
  const content = Array.isArray(raw) ? (raw as OrderedNode[]) : [];
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(node[':@'] ?? {})) attributes[key] = String(value);
  const children: XmlElement[] = [];
  const texts: string[] = [];
  for (const child of content) {
    if ('#text' in child) texts.push(String(child['#text']));
    else {
      const element = elementOf(child);
      if (element) children.push(element);
    }
  }
  return { name, attributes, children, text: texts.join('\n').trim() };
}

export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name === name);
}

export function childNamed(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((child) => child.name === name);
}

/** An attribute that must be there (and not blank). */
export function required(element: XmlElement, attribute: string, file: string): string {
  const value = element.attributes[attribute];
  if (value === undefined || value.trim() === '') throw new ReportError('report.missing-attribute', file, `<${element.name}> has no ${attribute} attribute`);
  return value;
}

/** An optional attribute; blank counts as absent (some tools write time=""). */
export function optional(element: XmlElement, attribute: string): string | undefined {
  const value = element.attributes[attribute];
  return value === undefined || value.trim() === '' ? undefined : value;
}

export function optionalCount(element: XmlElement, attribute: string, file: string): number | undefined {
  const value = optional(element, attribute);
  return value === undefined ? undefined : countOf(value, file, `<${element.name}> ${attribute}`);
}

export function optionalDecimal(element: XmlElement, attribute: string, file: string): number | undefined {
  const value = optional(element, attribute);
  return value === undefined ? undefined : decimalOf(value, file, `<${element.name}> ${attribute}`);
}
