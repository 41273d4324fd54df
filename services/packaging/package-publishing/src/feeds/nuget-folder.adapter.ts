import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ValidationError } from '@delivery/messaging';
import { manifestMismatch, versionImmutable, type PackageFeed, type PackageToPublish, type PublishOutcome } from './package-feed.port';
import { sha512Base64 } from './package.integrity';
import { normalizeNuGetVersion, readNuspec } from './nuspec.reader';

const NUGET_ID = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;

export interface NuGetLayout {
  directory: string;
  nupkg: string;
  sha512: string;
  nuspec: string;
}

/** The hierarchical layout of `nuget init` / NuGet.Server folders: <root>/<id>/<version>/<id>.<version>.nupkg … */
export function nugetLayout(root: string, id: string, version: string): NuGetLayout {
  const lowerId = id.toLowerCase();
  const lowerVersion = normalizeNuGetVersion(version);
  const directory = path.join(root, lowerId, lowerVersion);
  return {
    directory,
    nupkg: path.join(directory, `${lowerId}.${lowerVersion}.nupkg`),
    sha512: path.join(directory, `${lowerId}.${lowerVersion}.nupkg.sha512`),
    nuspec: path.join(directory, `${lowerId}.nuspec`),
  };
}

// The embedded NuGet feed: a folder any NuGet client can use as a source. A version's directory is assembled
// beside its final place and renamed into it, so readers never see half a package and of two concurrent
// publishers exactly one wins (rename onto a non-empty directory fails); the loser compares bytes like a retry.
export class NuGetFolderFeed implements PackageFeed {
  readonly kind = 'nuget-folder' as const;
  readonly formats = ['nuget'] as const;

  constructor(
    readonly name: string,
    readonly root: string,
  ) {}

  async publish(pkg: PackageToPublish): Promise<PublishOutcome> {
    if (!NUGET_ID.test(pkg.name)) throw new ValidationError('package.invalid-name', `"${pkg.name}" is not a NuGet package id`);
    const nuspec = readNuspec(pkg.content);
    if (nuspec.id.toLowerCase() !== pkg.name.toLowerCase()) throw manifestMismatch('id', pkg.name, nuspec.id);
    if (normalizeNuGetVersion(nuspec.version) !== normalizeNuGetVersion(pkg.version)) throw manifestMismatch('version', pkg.version, nuspec.version);

    const layout = nugetLayout(this.root, pkg.name, pkg.version);
    const sha512 = sha512Base64(pkg.content);
    const integrity = `sha512-${sha512}`;
    const url = pathToFileURL(layout.nupkg).href;
    const existing = await this.stored(layout);
    if (existing !== undefined) return this.compare(pkg, existing, sha512, url);

    const incoming = path.join(path.dirname(layout.directory), `.incoming-${randomUUID()}`);
    await mkdir(incoming, { recursive: true });
    try {
      await writeFile(path.join(incoming, path.basename(layout.nupkg)), pkg.content);
      await writeFile(path.join(incoming, path.basename(layout.nuspec)), nuspec.xml);
      // written last inside the directory: NuGet treats the .sha512 as the marker of a complete package
      await writeFile(path.join(incoming, path.basename(layout.sha512)), sha512);
      await rename(incoming, layout.directory);
      return { integrity, url, alreadyPublished: false };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
      const winner = await this.stored(layout);
      if (winner === undefined) throw error;
      return this.compare(pkg, winner, sha512, url);
    } finally {
      await rm(incoming, { recursive: true, force: true });
    }
  }

  private compare(pkg: PackageToPublish, stored: string, offered: string, url: string): PublishOutcome {
    if (stored !== offered) throw versionImmutable(pkg.name, pkg.version, this.name, `sha512-${stored}`, `sha512-${offered}`);
    return { integrity: `sha512-${offered}`, url, alreadyPublished: true };
  }

  // the stored package's sha512 (from its marker, or from the bytes when the marker is missing)
  private async stored(layout: NuGetLayout): Promise<string | undefined> {
    const marker = await readFile(layout.sha512, 'utf8').catch(() => undefined);
    if (marker !== undefined) return marker.trim();
    const bytes = await readFile(layout.nupkg).catch(() => undefined);
    return bytes ? sha512Base64(bytes) : undefined;
  }
}
