import { mergeOpenApi, pascal, type OpenApiDocument } from './openapi-merge';

const info = { title: 'all', version: '1' };
const ops: OpenApiDocument = {
  openapi: '3.0.0',
  info: { title: 'ops', version: '1' },
  paths: { '/lineage/{traceId}': { get: { operationId: 'byTrace', responses: { 200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/ItemDto' } } } } } } } },
  components: { schemas: { ItemDto: { type: 'object', properties: { a: { type: 'string' } } } }, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
};
const release: OpenApiDocument = {
  openapi: '3.0.0',
  info: { title: 'release', version: '1' },
  tags: [{ name: 'releases' }],
  paths: {
    '/': { get: { responses: {} } },
    '/releases/{id}': {
      parameters: [{ $ref: '#/components/parameters/Id' }],
      get: { operationId: 'show', tags: ['releases'], responses: { 200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/ItemDto' } } } } } },
    },
  },
  components: {
    schemas: { ItemDto: { type: 'object', properties: { b: { $ref: '#/components/schemas/Nested' } } }, Nested: { type: 'string' } },
    parameters: { Id: { name: 'id', in: 'path' } },
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
  },
};

describe('mergeOpenApi', () => {
  const merged = mergeOpenApi(ops, [{ name: 'release', url: 'http://r', document: release }, { name: 'gitops-sync', url: 'http://g', error: 'down' }], info);

  it('given a service document, when merged, then its paths live under /api/<service> and ops paths stay', () => {
    expect(Object.keys(merged.paths!)).toEqual(['/lineage/{traceId}', '/api/release', '/api/release/releases/{id}']);
    expect(merged.info).toEqual(info);
  });

  it('given colliding schema names, when merged, then the service ones are prefixed and every $ref follows', () => {
    const schemas = merged.components!.schemas!;
    expect(Object.keys(schemas).sort()).toEqual(['ItemDto', 'Release_ItemDto', 'Release_Nested']);
    expect(schemas.Release_ItemDto).toEqual({ type: 'object', properties: { b: { $ref: '#/components/schemas/Release_Nested' } } });
    const item = merged.paths!['/api/release/releases/{id}'] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(item.parameters).toEqual([{ $ref: '#/components/parameters/Release_Id' }]);
    expect(item.get.responses[200].content['application/json'].schema.$ref).toBe('#/components/schemas/Release_ItemDto');
    expect(item.get.operationId).toBe('release_show');
    expect(item.get.tags).toEqual(['release', 'release: releases']);
    expect((merged.paths!['/lineage/{traceId}'] as Record<string, any>).get.responses[200].content['application/json'].schema.$ref).toBe('#/components/schemas/ItemDto'); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(merged.components!.securitySchemes).toEqual({ bearer: { type: 'http', scheme: 'bearer' } });
  });

  it('given an unreachable service, when merged, then it is listed as not included', () => {
    expect(merged['x-services']).toEqual([
      { name: 'release', url: 'http://r', included: true },
      { name: 'gitops-sync', url: 'http://g', included: false, error: 'down' },
    ]);
    expect(merged.tags!.map((t) => t.name)).toEqual(['release', 'release: releases']);
    expect(pascal('gitops-sync')).toBe('GitopsSync');
  });

  it('does not modify its inputs', () => {
    expect(Object.keys(ops.components!.schemas!)).toEqual(['ItemDto']);
    expect(Object.keys(ops.paths!)).toEqual(['/lineage/{traceId}']);
  });
});
