import { artifactStoreFromEnv } from '@delivery/artifacts';

// The machine's artifact store (ARTIFACT_DIR), where run outputs and step logs go.
export const ARTIFACT_STORE = Symbol('ARTIFACT_STORE');
export const artifactStoreProvider = { provide: ARTIFACT_STORE, useFactory: () => artifactStoreFromEnv() };
