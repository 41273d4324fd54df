import { Body, Controller, Get, Headers, Module, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { createHash, randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Response } from 'express';
import { CurrentPrincipal, Public, type Principal } from '@delivery/auth';
import { registerService, type Deregister, type RunningService, type ServiceDefinition } from '@delivery/service-kit';
import { startOps, type OpsFixture } from '../../test/ops.fixture';
import { PLATFORM_OPERATOR } from '../ops.scopes';

// A second service, defined only here, reached through the gateway. Its DTO is named like one of ops's own, so
// the combined OpenAPI has to keep the two apart.
class LineageEntryDto {
  @ApiProperty()
  id!: string;

  @ApiProperty()
  seenBy!: string;
}

@ApiTags('things')
@Controller('things')
class EchoController {
  @Get('teapot')
  @Public()
  teapot(@Res() res: Response): void {
    res.status(418).setHeader('x-echo', 'short and stout');
    res.json({ teapot: true });
  }

  @Get(':id')
  @ApiOkResponse({ type: LineageEntryDto })
  get(@Param('id') id: string, @Query() query: unknown, @Headers() headers: Record<string, string>, @CurrentPrincipal() principal: Principal) {
    return {
      id,
      query,
      seenBy: principal.subject,
      traceparent: headers.traceparent,
      forwardedPrefix: headers['x-forwarded-prefix'],
    };
  }

  @Post()
  create(@Body() body: unknown, @CurrentPrincipal() principal: Principal) {
    return { received: body, tenant: principal.tenantId };
  }

  // Bytes Nest does not parse (octet-stream) reach the handler as the raw stream.
  @Post('raw')
  @Public()
  async raw(@Req() req: IncomingMessage) {
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of req) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    return { bytes, sha256: hash.digest('hex'), contentType: req.headers['content-type'] };
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

const echoService: ServiceDefinition = { name: 'echo', module: EchoModule, consumers: [], relay: false };

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function rawGet(base: URL, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ hostname: base.hostname, port: base.port, path }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('gateway: /api/<service>/… routing, service directory and combined OpenAPI (ops)', () => {
  let fx: OpsFixture;
  let echo: RunningService;
  let token: string;
  let legacy: Server;
  let deregisterGhost: Deregister;

  beforeAll(async () => {
    // A plain HTTP service outside the registry, pinned by SERVICE_URLS with a base path.
    legacy = http.createServer((req, res) => res.end(JSON.stringify({ url: req.url, method: req.method })));
    process.env.SERVICE_URLS = `legacy=http://127.0.0.1:${await listen(legacy)}/base/`;
    fx = await startOps();
    echo = await fx.start(echoService);
    token = await fx.token({ scopes: ['devops.things.read'] });
    // Registered, then gone without deregistering: its port answers nothing.
    const closed = http.createServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    deregisterGhost = await registerService(fx.bus.nc, fx.bus.names, { name: 'ghost', url: `http://127.0.0.1:${port}` });
  });

  afterAll(async () => {
    delete process.env.SERVICE_URLS;
    await deregisterGhost?.();
    await fx?.close();
    await new Promise((resolve) => legacy?.close(resolve));
  });

  it('routes GET with path, query, Authorization and traceparent to the registered service', async () => {
    const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
    const response = await fx.http().get('/api/echo/things/42?color=red&size=2').set('Authorization', `Bearer ${token}`).set('traceparent', traceparent);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id: '42', query: { color: 'red', size: '2' }, seenBy: 'alice', traceparent, forwardedPrefix: '/api/echo' });
    // The service itself authenticates: no token through the gateway is its 401.
    expect((await fx.http().get('/api/echo/things/42')).status).toBe(401);
  });

  it('streams POST bodies through untouched: JSON, and a 1 MB binary body', async () => {
    const json = await fx.http().post('/api/echo/things').set('Authorization', `Bearer ${token}`).send({ name: 'widget', tags: ['a', 'b'], nested: { n: 1 } });
    expect(json.status).toBe(201);
    expect(json.body).toEqual({ received: { name: 'widget', tags: ['a', 'b'], nested: { n: 1 } }, tenant: 'acme' });

    const bytes = randomBytes(1024 * 1024);
    const raw = await fx.http().post('/api/echo/things/raw').set('Content-Type', 'application/octet-stream').send(bytes);
    expect(raw.status).toBe(201);
    expect(raw.body).toEqual({ bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), contentType: 'application/octet-stream' });
  });

  it('passes the service’s status and headers back', async () => {
    const response = await fx.http().get('/api/echo/things/teapot');
    expect(response.status).toBe(418);
    expect(response.headers['x-echo']).toBe('short and stout');
    expect(response.body).toEqual({ teapot: true });
  });

  it('routes to a static SERVICE_URLS entry, base path included', async () => {
    const response = await fx.http().delete('/api/legacy/hello/world?x=1');
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ url: '/base/hello/world?x=1', method: 'DELETE' });
  });

  it('answers 404 JSON for an unknown service, 400 for dot segments, 502 JSON for a registered service that is down', async () => {
    const unknown = await fx.http().get('/api/nope/things');
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/application\/json/);
    expect(unknown.body).toMatchObject({ statusCode: 404, code: 'unknown-service' });
    expect((await fx.http().get('/api/')).status).toBe(404);
    expect((await fx.http().get('/api/Echo/things/1')).status).toBe(404);

    // Sent as is (a URL parser would resolve the dot segments before they reach the gateway).
    for (const path of ['/api/echo/%2e%2e/docs', '/api/echo/things/../../docs']) {
      const traversal = await rawGet(new URL(fx.ops.url), path);
      expect([path, traversal.status, JSON.parse(traversal.body).code]).toEqual([path, 400, 'bad-path']);
    }

    const down = await fx.http().post('/api/ghost/things').send({ any: 'body' });
    expect(down.status).toBe(502);
    expect(down.body).toMatchObject({ statusCode: 502, code: 'service-unavailable' });
    expect(down.body.message).toContain('ghost');
  });

  it('lists the directory for operators', async () => {
    const operator = await fx.token({ tenant: 'platform', scopes: [PLATFORM_OPERATOR] });
    const response = await fx.http().get('/services').set('Authorization', `Bearer ${operator}`);
    expect(response.status).toBe(200);
    const byName = Object.fromEntries((response.body.services as Array<{ name: string; url: string; source: string }>).map((s) => [s.name, s]));
    expect(byName.echo).toMatchObject({ url: echo.url, source: 'registry' });
    expect(byName.ops).toMatchObject({ url: fx.ops.url, source: 'registry' });
    expect(byName.legacy).toMatchObject({ source: 'static' });
    expect(byName.ghost).toBeDefined();
    expect((await fx.http().get('/services').set('Authorization', `Bearer ${token}`)).status).toBe(403);
  });

  it('keeps a newer replica registered when an older one of the same service deregisters', async () => {
    const older = await registerService(fx.bus.nc, fx.bus.names, { name: 'legacy-twin', url: 'http://127.0.0.1:1' });
    const newer = await registerService(fx.bus.nc, fx.bus.names, { name: 'legacy-twin', url: echo.url });
    await older();
    expect((await fx.http().get('/api/legacy-twin/things/7').set('Authorization', `Bearer ${token}`)).body).toMatchObject({ id: '7' });
    await newer();
    expect((await fx.http().get('/api/legacy-twin/things/7')).status).toBe(404);
  });

  it('serves one combined OpenAPI document: ops paths, every service under /api/<service>, schemas namespaced', async () => {
    const response = await fx.http().get('/docs/combined.json');
    expect(response.status).toBe(200);
    const doc = response.body as {
      openapi: string;
      paths: Record<string, Record<string, { tags?: string[]; operationId?: string; responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }> }>>;
      components: { schemas: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
      'x-services': Array<{ name: string; included: boolean; error?: string }>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/lineage/{traceId}', '/dead-letters/{seq}/replay', '/api/echo/things/{id}', '/api/echo/things/raw']));
    expect(doc.paths['/api/echo/things/{id}']?.get?.responses?.['200']?.content?.['application/json']?.schema?.$ref).toBe('#/components/schemas/Echo_LineageEntryDto');
    expect(doc.paths['/api/echo/things/{id}']?.get?.tags).toEqual(['echo', 'echo: things']);
    expect(doc.components.schemas).toHaveProperty('LineageEntryDto.properties.causedBy');
    expect(doc.components.schemas).toHaveProperty('Echo_LineageEntryDto.properties.seenBy');
    expect(doc.components.securitySchemes).toHaveProperty('bearer');
    const services = Object.fromEntries(doc['x-services'].map((s) => [s.name, s]));
    expect(services.echo?.included).toBe(true);
    expect(services.ghost).toMatchObject({ included: false });
    expect(services.ops).toBeUndefined();
  });

  it('stops routing to a service once it has shut down (deregistered)', async () => {
    await echo.close();
    expect((await fx.http().get('/api/echo/things/42').set('Authorization', `Bearer ${token}`)).status).toBe(404);
  });
});
