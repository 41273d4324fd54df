import { Inject, Injectable } from '@nestjs/common';
import type { schemas } from '@delivery/contracts';
import { GitInvalidInputError, platformErrorOf, validateRepoPath, type GitProvider } from '@delivery/git-provider';
import { NotFoundError, ValidationError } from '@delivery/messaging';
import { GIT_PROVIDER, locatorOf, type RepositoryRecord } from '@delivery/repository-directory';
import { renderManifests, type RenderedManifests, type RenderManifestInput } from '../domain/manifest.renderer';
import { changesOf, directoryOf, staleFiles } from './manifest.changes';
import { previousReleaseOf } from './previous-release';

export interface ManifestPlan {
  /** the commit the render was compared with: the branch head, or the default branch's when the branch is new */
  baseSha: string;
  branchExists: boolean;
  rendered: RenderedManifests;
  /** what a commit on baseSha must change; none when the branch already holds exactly these manifests */
  changes: schemas.FileChange[];
}

// Renders a RenderManifest against what its GitOps directory holds now: the release running in the other slot
// comes from the workload.json there, and the result is compared byte for byte so that an unchanged release
// commits nothing. Shared by the bus door, the re-render after a lost compare-and-swap and the REST preview.
@Injectable()
export class ManifestPlanner {
  constructor(@Inject(GIT_PROVIDER) private readonly git: GitProvider) {}

  async plan(repository: RepositoryRecord, input: RenderManifestInput): Promise<ManifestPlan> {
    const directory = directoryOf(input.gitops.path);
    if (directory !== '') checkPath(directory);
    const locator = locatorOf(repository);
    const { branch } = input.gitops;
    try {
      const head = await this.git.resolveBranch(locator, branch);
      // a branch that does not exist yet is created from the default branch, so that is what the render meets
      const baseSha = head ?? (await this.git.resolveBranch(locator, repository.defaultBranch));
      if (baseSha === undefined) throw new NotFoundError('branch.not-found', `neither branch ${branch} nor the default branch ${repository.defaultBranch} exists`);
      const workloadPath = directory === '' ? 'workload.json' : `${directory}/workload.json`;
      // Every read is a few git processes, and the plan runs while the branch's commit queue waits on it (one
      // commit in flight per branch): reads that do not depend on each other run at once, and none runs twice.
      const [workload, existing] = await Promise.all([
        this.git.readFile(locator, baseSha, workloadPath),
        this.git.listFiles(locator, baseSha, directory === '' ? undefined : directory),
      ]);
      const previous = previousReleaseOf(workload, input);
      const rendered = renderManifests(input, previous ? { previous } : {});
      const present = new Set(existing);
      const read = (path: string) => (path === workloadPath ? Promise.resolve(workload) : this.git.readFile(locator, baseSha, path));
      const current = new Map<string, Buffer>();
      const bytes = await Promise.all(rendered.files.map((file) => (present.has(file.path) ? read(file.path) : Promise.resolve(undefined))));
      rendered.files.forEach((file, index) => {
        const found = bytes[index];
        if (found !== undefined) current.set(file.path, found);
      });
      const changes = changesOf(rendered.files, current, staleFiles(directory, existing, rendered.files));
      return { baseSha, branchExists: head !== undefined, rendered, changes };
    } catch (error) {
      throw platformErrorOf(error);
    }
  }
}

// the commit service would refuse the files anyway; refusing the path here names the field that is wrong
function checkPath(directory: string): void {
  try {
    validateRepoPath(directory);
  } catch (error) {
    if (!(error instanceof GitInvalidInputError)) throw error;
    throw new ValidationError('manifest.gitops-path', `gitops path "${directory}" is not a directory of the repository: ${error.message}`);
  }
}
