// The OCI image-spec shapes this service reads and writes (image-spec v1.1).
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const REF_NAME = 'org.opencontainers.image.ref.name';
export const BASE_NAME_LABEL = 'org.opencontainers.image.base.name';
export const BASE_DIGEST_LABEL = 'org.opencontainers.image.base.digest';
/** says in the image itself that the requested base was not used */
export const BASE_UNAVAILABLE_LABEL = 'dev.delivery.image.base-unavailable';
/** 1970-01-01T00:00:00Z: `created` and history times are fixed, so the config does not change with the clock */
export const FIXED_CREATED = '1970-01-01T00:00:00Z';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string; variant?: string };
}

export interface Platform {
  os: 'linux';
  architecture: 'amd64' | 'arm64';
}

/** A blob of the image: its descriptor and a way to read its bytes (base layers stay on disk until pushed). */
export interface BlobSource extends Descriptor {
  read(): Promise<Buffer>;
}

export interface ImageConfigFile {
  architecture: string;
  os: string;
  created?: string;
  config?: {
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Env?: string[] | null;
    WorkingDir?: string;
    ExposedPorts?: Record<string, object>;
    User?: string;
    Labels?: Record<string, string> | null;
  };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: Array<{ created?: string; created_by?: string; comment?: string; empty_layer?: boolean }>;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}
