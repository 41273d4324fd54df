import type { Provider } from '@nestjs/common';
import { artifactStoreFromEnv, type ArtifactStore } from '@delivery/artifacts';

// Where runs leave their reports: the machine's store (ARTIFACT_DIR) unless the service definition names one.
export const ARTIFACT_STORE = Symbol('ARTIFACT_STORE');

export function artifactStoreProvider(store?: ArtifactStore): Provider {
  return { provide: ARTIFACT_STORE, useFactory: () => store ?? artifactStoreFromEnv() };
}
