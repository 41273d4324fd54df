import { readFileSync } from 'node:fs';
import path from 'node:path';

/** a fixture report of src/domain/fixtures as text (the parsers' input) */
export function fixture(name: string): string {
  return readFileSync(fixturePath(name), 'utf8');
}

export function fixtureBytes(name: string): Buffer {
  return readFileSync(fixturePath(name));
}

export function fixturePath(name: string): string {
  return path.join(__dirname, 'fixtures', name);
}
