// Merges the gateway's own OpenAPI document with each service's, as seen through the gateway: paths under
// /api/<service>, component names prefixed with the service (two services may both have a `ReleaseDto`),
// operationIds and tags prefixed likewise. Pure: the controller fetches, this only rewrites.
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown> | undefined>;
  tags?: Array<{ name: string; description?: string }>;
  [extension: string]: unknown;
}

export interface ServiceDocument {
  name: string;
  url: string;
  document?: OpenApiDocument;
  /** why the document could not be read */
  error?: string;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

export function mergeOpenApi(own: OpenApiDocument, services: ServiceDocument[], info: OpenApiDocument['info']): OpenApiDocument {
  const merged: OpenApiDocument = {
    ...own,
    info,
    paths: { ...own.paths },
    components: Object.fromEntries(Object.entries(own.components ?? {}).map(([kind, entries]) => [kind, { ...entries }])),
    tags: [...(own.tags ?? [])],
  };
  const components = merged.components!;
  for (const service of services) {
    if (!service.document) continue;
    const prefix = pascal(service.name);
    const renames = new Map<string, string>();
    for (const [kind, entries] of Object.entries(service.document.components ?? {})) {
      // Security schemes are referenced by name, not $ref, and are the same bearer scheme everywhere.
      if (kind === 'securitySchemes') {
        components.securitySchemes = { ...service.document.components?.securitySchemes, ...components.securitySchemes };
        continue;
      }
      for (const name of Object.keys(entries ?? {})) renames.set(`#/components/${kind}/${name}`, `#/components/${kind}/${prefix}_${name}`);
    }
    const document = rewriteRefs(service.document, renames) as OpenApiDocument;
    for (const [kind, entries] of Object.entries(document.components ?? {})) {
      if (kind === 'securitySchemes') continue;
      const target = (components[kind] ??= {});
      for (const [name, value] of Object.entries(entries ?? {})) target[`${prefix}_${name}`] = value;
    }
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      merged.paths![`/api/${service.name}${path === '/' ? '' : path}`] = prefixOperations(item, service.name);
    }
    merged.tags!.push({ name: service.name, description: `${service.name} service (${service.url})` });
    for (const tag of document.tags ?? []) merged.tags!.push({ ...tag, name: `${service.name}: ${tag.name}` });
  }
  merged['x-services'] = services.map((s) => ({ name: s.name, url: s.url, included: Boolean(s.document), ...(s.error ? { error: s.error } : {}) }));
  return merged;
}

function prefixOperations(item: Record<string, unknown>, service: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) {
    if (!METHODS.has(key) || !isObject(value)) {
      out[key] = value;
      continue;
    }
    const tags = Array.isArray(value.tags) ? value.tags.map((t) => `${service}: ${String(t)}`) : [];
    out[key] = {
      ...value,
      tags: [service, ...tags],
      ...(typeof value.operationId === 'string' ? { operationId: `${camel(service)}_${value.operationId}` } : {}),
    };
  }
  return out;
}

function rewriteRefs(value: unknown, renames: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, renames));
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = key === '$ref' && typeof child === 'string' ? (renames.get(child) ?? child) : rewriteRefs(child, renames);
  }
  return out;
}

export function pascal(name: string): string {
  return name.replace(/(^|-)([a-z0-9])/g, (_m, _dash: string, c: string) => c.toUpperCase());
}

function camel(name: string): string {
  const p = pascal(name);
  return p.charAt(0).toLowerCase() + p.slice(1);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
