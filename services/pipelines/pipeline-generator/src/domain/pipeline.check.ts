import { metadataReasons, type Reason } from './metadata.rules';
import { generatePipeline, type GeneratedPipeline, type ModuleMetadata } from './pipeline.generator';
import { schemaReasons } from './pipeline.schema';

export interface CheckedPipeline {
  generated: GeneratedPipeline;
  /** what is wrong with the metadata */
  metadata: Reason[];
  /** what the generated YAML violates in the Azure Pipelines schema */
  schema: Reason[];
}

/** generation and both checks; the file may be committed only when both lists are empty */
export function checkPipeline(module: ModuleMetadata, pipelinePath?: string): CheckedPipeline {
  const generated = generatePipeline(module, pipelinePath);
  const metadata = metadataReasons(module, pipelinePath);
  return { generated, metadata, schema: schemaReasons(generated.content) };
}

export function isValid(checked: CheckedPipeline): boolean {
  return checked.metadata.length === 0 && checked.schema.length === 0;
}
