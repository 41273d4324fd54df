import { platformErrorOf } from '@delivery/git-provider';

/** Runs git work and turns provider failures into coded platform errors (a status and a bus disposition each). */
export async function viaGit<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw platformErrorOf(error);
  }
}
