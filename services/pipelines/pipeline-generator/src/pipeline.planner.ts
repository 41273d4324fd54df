import { Inject, Injectable } from '@nestjs/common';
import { platformErrorOf, type GitProvider } from '@delivery/git-provider';
import { NotFoundError, ValidationError } from '@delivery/messaging';
import { GIT_PROVIDER, locatorOf, type RepositoryRecord } from '@delivery/repository-directory';
import { checkPipeline, type CheckedPipeline } from './domain/pipeline.check';
import type { GeneratedPipeline } from './domain/pipeline.generator';
import type { Reason } from './domain/metadata.rules';
import type { GeneratePipelineInput } from './pipeline.messages';

export interface PipelinePlan {
  generated: GeneratedPipeline;
  /** the branch head the file was compared with */
  headSha: string;
  /** what a commit on headSha must do; null when the head already holds exactly these bytes */
  action: 'add' | 'update' | null;
}

/** a refusal whose details list every reason (failureOf turns `problems` into the Failure's details) */
export function invalidPipeline(checked: CheckedPipeline): ValidationError {
  const problems: Reason[] = [...checked.metadata, ...checked.schema];
  if (checked.metadata.length > 0) {
    return new ValidationError('pipeline.invalid-metadata', `the module metadata cannot make a pipeline: ${summaryOf(problems)}`, { problems });
  }
  return new ValidationError('pipeline.schema-violation', `the generated pipeline fails the Azure Pipelines schema: ${summaryOf(problems)}`, { problems });
}

// The file at the branch head, read the way the commit would see it: compared byte for byte, so regenerating the
// same metadata commits nothing. Shared by the bus door, the re-plan after a lost compare-and-swap and the preview.
@Injectable()
export class PipelinePlanner {
  constructor(@Inject(GIT_PROVIDER) private readonly git: GitProvider) {}

  async plan(repository: RepositoryRecord, input: GeneratePipelineInput, generated: GeneratedPipeline): Promise<PipelinePlan> {
    const locator = locatorOf(repository);
    try {
      const headSha = await this.git.resolveBranch(locator, input.branch);
      if (headSha === undefined) throw new NotFoundError('branch.not-found', `branch ${input.branch} does not exist in repository ${input.repositoryId}`);
      const current = await this.git.readFile(locator, headSha, generated.path);
      const action = current === undefined ? 'add' : current.equals(Buffer.from(generated.content, 'utf8')) ? null : 'update';
      return { generated, headSha, action };
    } catch (error) {
      throw platformErrorOf(error);
    }
  }

  /** checks the metadata and the YAML, refusing with every reason, then plans against the head */
  async checkedPlan(repository: RepositoryRecord, input: GeneratePipelineInput): Promise<PipelinePlan> {
    const checked = checkPipeline(input.module, input.pipelinePath);
    if (checked.metadata.length > 0 || checked.schema.length > 0) throw invalidPipeline(checked);
    return this.plan(repository, input, checked.generated);
  }
}

function summaryOf(problems: Reason[]): string {
  const text = problems.map((p) => `${p.subject}: ${p.message}`).join('; ');
  return text.length > 3000 ? `${text.slice(0, 3000)}…` : text;
}
