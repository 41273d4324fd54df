import { XMLParser } from 'fast-xml-parser';
import { ValidationError } from '@delivery/messaging';
import { readZipEntry, zipEntries } from './zip.reader';

export interface Nuspec {
  /** the .nuspec's own file name in the package */
  fileName: string;
  xml: Buffer;
  id: string;
  version: string;
}

const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: true, parseTagValue: false, processEntities: false });

// A .nupkg is a zip with one <id>.nuspec at its root; its metadata names the package's id and version.
export function readNuspec(nupkg: Buffer): Nuspec {
  const entry = zipEntries(nupkg).find((e) => !e.name.includes('/') && e.name.toLowerCase().endsWith('.nuspec'));
  if (!entry) throw new ValidationError('package.unreadable', 'the .nupkg has no .nuspec at its root');
  const xml = readZipEntry(nupkg, entry);
  let metadata: Record<string, unknown> | undefined;
  try {
    const parsed = parser.parse(xml.toString('utf8')) as { package?: { metadata?: Record<string, unknown> } };
    metadata = parsed.package?.metadata;
  } catch (error) {
    throw new ValidationError('package.unreadable', `${entry.name} is not XML: ${(error as Error).message}`);
  }
  const id = textOf(metadata?.id);
  const version = textOf(metadata?.version);
  if (!id || !version) throw new ValidationError('package.unreadable', `${entry.name} has no <metadata><id> and <version>`);
  return { fileName: entry.name, xml, id, version };
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string' || typeof value === 'number') return String(value).trim() || undefined;
  return undefined;
}

// NuGet's normalized form (what folder feeds name directories by): 1.0 → 1.0.0, a zero fourth part dropped,
// build metadata dropped, lower case.
export function normalizeNuGetVersion(version: string): string {
  const withoutMetadata = version.trim().split('+')[0] ?? '';
  const dash = withoutMetadata.indexOf('-');
  const numbers = dash < 0 ? withoutMetadata : withoutMetadata.slice(0, dash);
  const label = dash < 0 ? '' : withoutMetadata.slice(dash);
  const parts = numbers.split('.').map((part) => (/^\d+$/.test(part) ? String(Number(part)) : part));
  while (parts.length < 3) parts.push('0');
  if (parts.length === 4 && parts[3] === '0') parts.pop();
  return `${parts.join('.')}${label}`.toLowerCase();
}
