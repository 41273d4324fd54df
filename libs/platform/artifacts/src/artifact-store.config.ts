import path from 'node:path';
import { FileArtifactStore } from './file-artifact.store';

/** The machine's artifact store: ARTIFACT_DIR, or `.data/artifacts` under the working directory. */
export function artifactStoreFromEnv(env: NodeJS.ProcessEnv = process.env): FileArtifactStore {
  return new FileArtifactStore(path.resolve(env.ARTIFACT_DIR ?? path.join('.data', 'artifacts')));
}
