import { inflateRawSync } from 'node:zlib';
import { ValidationError } from '@delivery/messaging';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_ENTRY_BYTES = 16 * 1024 * 1024;

// Just enough of PKZIP to read a .nupkg: the central directory (found from the end-of-central-directory record)
// and stored or deflated entries. Zip64 and encryption are refused; a .nuspec never needs them.
export function zipEntries(zip: Buffer): ZipEntry[] {
  const eocd = findEocd(zip);
  const count = zip.readUInt16LE(eocd + 10);
  const size = zip.readUInt32LE(eocd + 12);
  const offset = zip.readUInt32LE(eocd + 16);
  if (count === 0xffff || offset === 0xffffffff) throw unreadable('zip64 archives are not supported');
  if (offset + size > eocd) throw unreadable('the central directory lies outside the archive');
  const entries: ZipEntry[] = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== CENTRAL) throw unreadable(`central directory entry ${i} is damaged`);
    const flags = zip.readUInt16LE(at + 8);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    if (flags & 0x1) throw unreadable('encrypted entries are not supported');
    entries.push({
      method: zip.readUInt16LE(at + 10),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      localHeaderOffset: zip.readUInt32LE(at + 42),
      name: zip.toString(flags & 0x800 ? 'utf8' : 'latin1', at + 46, at + 46 + nameLength),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

export function readZipEntry(zip: Buffer, entry: ZipEntry): Buffer {
  const at = entry.localHeaderOffset;
  if (at + 30 > zip.length || zip.readUInt32LE(at) !== LOCAL) throw unreadable(`the local header of ${entry.name} is damaged`);
  const start = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  const end = start + entry.compressedSize;
  if (end > zip.length) throw unreadable(`${entry.name} is truncated`);
  if (entry.size > MAX_ENTRY_BYTES) throw unreadable(`${entry.name} is larger than ${MAX_ENTRY_BYTES} bytes`);
  const data = zip.subarray(start, end);
  if (entry.method === 0) return Buffer.from(data);
  if (entry.method !== 8) throw unreadable(`${entry.name} uses compression method ${entry.method} (only stored and deflate are read)`);
  try {
    return inflateRawSync(data, { maxOutputLength: MAX_ENTRY_BYTES });
  } catch (error) {
    throw unreadable(`${entry.name} cannot be inflated: ${(error as Error).message}`);
  }
}

function findEocd(zip: Buffer): number {
  // the record is 22 bytes plus a comment of at most 65535
  const lowest = Math.max(0, zip.length - 22 - 0xffff);
  for (let at = zip.length - 22; at >= lowest; at--) {
    if (zip.readUInt32LE(at) === EOCD) return at;
  }
  throw unreadable('no end of central directory record (not a zip archive)');
}

function unreadable(reason: string): ValidationError {
  return new ValidationError('package.unreadable', `the package is not a readable zip: ${reason}`);
}
