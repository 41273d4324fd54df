import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalJson } from './digest';
import type { BuiltImage } from './image.assembler';
import { OCI_INDEX, REF_NAME, type Descriptor } from './oci.types';

// Writes a built image as an OCI image layout, addressable as `oci:<dir>:<tag>` by skopeo and friends, so a
// benchmark can compare what this service pushes with what `skopeo copy` makes of the same layout. Blobs are
// content-addressed (written again with the same bytes at worst); the index keeps other tags, replaces this one.
export async function writeOciLayout(dir: string, image: BuiltImage, tag: string): Promise<void> {
  const blobs = path.join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = (digest: string, bytes: Buffer) => writeFile(path.join(blobs, digest.slice('sha256:'.length)), bytes);
  for (const layer of image.layers) await put(layer.digest, await layer.read());
  await put(image.configDigest, image.config);
  await put(image.digest, image.manifest);
  await writeFile(path.join(dir, 'oci-layout'), canonicalJson({ imageLayoutVersion: '1.0.0' }));

  let manifests: Descriptor[] = [];
  try {
    manifests = (JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as { manifests?: Descriptor[] }).manifests ?? [];
  } catch {
    // a new layout
  }
  const entry: Descriptor = { mediaType: image.mediaType, digest: image.digest, size: image.manifest.length, annotations: { [REF_NAME]: tag } };
  const kept = manifests.filter((m) => m.annotations?.[REF_NAME] !== tag);
  await writeFile(path.join(dir, 'index.json'), canonicalJson({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...kept, entry] }));
}
