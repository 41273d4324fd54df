import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildLayer } from './deterministic-tar';
import { assembleImage, type BuiltImage } from './image.assembler';
import { writeOciLayout } from './oci-layout.writer';

const created: string[] = [];

/** removes the layouts writeBaseLayout made in temp dirs (call in afterAll) */
export async function removeBaseLayouts(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** A small base image (one layer with /etc/os-release and a node stand-in) written as an OCI layout under `tag`. */
export async function writeBaseLayout(tag = 'node:20-slim', dir?: string): Promise<{ dir: string; image: BuiltImage }> {
  const layoutDir = dir ?? (await mkdtemp(path.join(os.tmpdir(), 'base-layout-')));
  if (!dir) created.push(layoutDir);
  const layer = await buildLayer([
    { type: 'file', path: 'etc/os-release', data: Buffer.from('ID=tiny\n'), executable: false },
    { type: 'file', path: 'usr/local/bin/node', data: Buffer.from('#!/bin/sh\necho node\n'), executable: true },
  ]);
  const image = assembleImage({
    platform: { os: 'linux', architecture: 'amd64' },
    settings: { env: { PATH: '/usr/local/bin:/usr/bin:/bin', NODE_VERSION: '20.0.0' }, cmd: ['node'], labels: { 'org.example.base': 'tiny' } },
    layers: [{ layer, createdBy: 'base layer' }],
    base: null,
  });
  await writeOciLayout(layoutDir, image, tag);
  return { dir: layoutDir, image };
}
