import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import YAML from 'yaml';
// imported rather than read from disk: tsc then emits it into the compiled tree beside this module's code
import publishedSchema from '../../schema/azure-pipelines.schema.json';
import type { Reason } from './metadata.rules';

// The generated YAML against the published Azure Pipelines schema (schema/README.md: the subset shipped and why),
// then against the few rules of this service the published schema leaves open (it accepts a job without steps).

const MAX_REASONS = 20;

// the schema's editor hints (the VS Code extension reads them); not validation keywords
const EDITOR_KEYWORDS = ['firstProperty', 'ignoreCase', 'aliases', 'deprecationMessage', 'doNotSuggest'];

// Ours, not Microsoft's: a job runs steps, a deployment job names its environment and runs steps in a strategy.
const LOCAL_RULES = {
  type: 'object',
  properties: {
    stages: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: {
          jobs: {
            type: 'array',
            minItems: 1,
            items: {
              anyOf: [
                { required: ['template'] },
                { required: ['job', 'steps'], properties: { steps: { type: 'array', minItems: 1 } } },
                { required: ['deployment', 'environment', 'strategy'] },
              ],
            },
          },
        },
      },
    },
  },
  required: ['stages'],
};

let compiled: { vendor: ValidateFunction; local: ValidateFunction } | undefined;

function validators(): { vendor: ValidateFunction; local: ValidateFunction } {
  if (!compiled) {
    // strict off: the published schema puts `enum` beside `$ref` and uses editor keywords; unicodeRegExp off: its
    // branch filter pattern escapes ":" which only non-unicode regular expressions accept
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    ajv.addVocabulary(EDITOR_KEYWORDS);
    compiled = { vendor: ajv.compile(publishedSchema as object), local: ajv.compile(LOCAL_RULES) };
  }
  return compiled;
}

/** the reasons a pipeline file fails the schema; none when it passes */
export function schemaReasons(content: string): Reason[] {
  let document: unknown;
  try {
    document = YAML.parse(content);
  } catch (error) {
    return [{ subject: 'yaml', message: `not valid YAML: ${error instanceof Error ? error.message : String(error)}` }];
  }
  const { vendor, local } = validators();
  if (!vendor(document)) return reasonsOf(vendor.errors ?? [], 'azure-pipelines');
  if (!local(document)) return reasonsOf(local.errors ?? [], 'pipeline-generator');
  return [];
}

// anyOf failures list every branch's complaint: keep the distinct ones, deepest first (the most specific)
function reasonsOf(errors: ErrorObject[], source: string): Reason[] {
  const seen = new Set<string>();
  const reasons: Reason[] = [];
  const sorted = [...errors].sort((a, b) => b.instancePath.split('/').length - a.instancePath.split('/').length);
  for (const error of sorted) {
    const extra = error.keyword === 'additionalProperties' ? ` (${String((error.params as { additionalProperty?: string }).additionalProperty)})` : '';
    const reason = { subject: `yaml${error.instancePath || '/'}`, message: `${source} schema: ${error.message ?? error.keyword}${extra}` };
    const key = `${reason.subject}\n${reason.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    reasons.push(reason);
    if (reasons.length === MAX_REASONS) break;
  }
  return reasons;
}
