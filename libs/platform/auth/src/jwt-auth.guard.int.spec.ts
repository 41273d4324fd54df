import { Controller, Get, NotFoundException, Param, Post, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { currentTrace, formatTraceparent, ObservabilityModule, PlatformMetrics, createLogger } from '@delivery/observability';
import { AuthModule } from './auth.module';
import { CurrentPrincipal, Public, RequireScopes, TenantParam } from './auth.decorators';
import type { Principal } from './principal';
import { ownedOrNotFound } from './tenant-access';
import { signTestToken } from './test-token';

const SECRET = 'test-secret-for-the-auth-guard-0123456789';
const APPROVE = 'devops.releases.approve';

const releases = new Map([
  ['r1', { id: 'r1', tenantId: 'acme', projectId: 'web' }],
  ['r2', { id: 'r2', tenantId: 'globex', projectId: 'web' }],
  ['r3', { id: 'r3', tenantId: 'acme', projectId: 'api' }],
]);

@Controller()
class ProbeController {
  @Public()
  @Get('open')
  open() {
    return { open: true };
  }

  @Get('me')
  async me(@CurrentPrincipal() principal: Principal) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return { principal, trace: currentTrace() };
  }

  @RequireScopes(APPROVE)
  @Post('releases/:id/approve')
  approve(@Param('id') id: string) {
    return { approved: id };
  }

  @Get('releases/:id')
  release(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return ownedOrNotFound(principal, releases.get(id), 'release');
  }

  @TenantParam('tenantId')
  @Get('tenants/:tenantId/summary')
  summary(@Param('tenantId') tenantId: string) {
    if (!tenantId) throw new NotFoundException();
    return { tenantId };
  }
}

@RequireScopes('devops.read')
@Controller('scoped')
class ScopedController {
  @RequireScopes(APPROVE)
  @Get('both')
  both() {
    return { ok: true };
  }
}

describe('JwtAuthGuard (HS256) over HTTP', () => {
  let app: INestApplication;
  const token = (claims: Partial<Parameters<typeof signTestToken>[0]> = {}, secret = SECRET) =>
    signTestToken({ sub: 'alice', tenant: 'acme', ...claims }, secret);

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ObservabilityModule.forRoot({
          service: 'auth-test',
          metrics: new PlatformMetrics({ defaultMetrics: false }),
          logger: createLogger({ service: 'auth-test', level: 'silent' }),
        }),
        AuthModule.forRoot({ config: { kind: 'hs256', secret: SECRET } }),
      ],
      controllers: [ProbeController, ScopedController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
  });

  const http = () => request(app.getHttpServer());

  it('answers 401 without a token', async () => {
    const res = await http().get('/me').expect(401);
    expect(res.body.message).toBe('missing bearer token (Authorization: Bearer <jwt>)');
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('answers 401 for a non-bearer Authorization header', async () => {
    const res = await http().get('/me').set('Authorization', 'Basic YWxpY2U6cHc=').expect(401);
    expect(res.body.message).toMatch(/not "Bearer <jwt>"/);
  });

  it('answers 401 for a bad signature', async () => {
    const forged = await token({}, 'another-secret-of-sufficient-length-000000');
    const res = await http().get('/me').auth(forged, { type: 'bearer' }).expect(401);
    expect(res.body.message).toBe('token signature is invalid');
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('answers 401 for an expired token', async () => {
    const res = await http()
      .get('/me')
      .auth(await token({ expiresInSeconds: -3600 }), { type: 'bearer' })
      .expect(401);
    expect(res.body.message).toBe('token expired');
  });

  it('answers 401 for a token without a tenant claim', async () => {
    const res = await http()
      .get('/me')
      .auth(await token({ tenant: undefined }), { type: 'bearer' })
      .expect(401);
    expect(res.body.message).toBe('token has no tenant claim');
  });

  it('answers 403 naming the missing scope', async () => {
    const res = await http()
      .post('/releases/r1/approve')
      .auth(await token({ scopes: ['devops.releases.read'] }), { type: 'bearer' })
      .expect(403);
    expect(res.body.message).toBe(`missing scope "${APPROVE}"`);
  });

  it('answers 200 with the scope', async () => {
    const res = await http()
      .post('/releases/r1/approve')
      .auth(await token({ scopes: ['devops.releases.read', APPROVE] }), { type: 'bearer' })
      .expect(201);
    expect(res.body).toEqual({ approved: 'r1' });
  });

  it('requires class and method scopes together', async () => {
    const res = await http()
      .get('/scoped/both')
      .auth(await token({ scopes: [APPROVE] }), { type: 'bearer' })
      .expect(403);
    expect(res.body.message).toBe('missing scope "devops.read"');
    await http()
      .get('/scoped/both')
      .auth(await token({ scopes: [APPROVE, 'devops.read'] }), { type: 'bearer' })
      .expect(200);
  });

  it('lets @Public() routes and the observability probes through without a token', async () => {
    await http().get('/open').expect(200, { open: true });
    await http().get('/health/live').expect(200);
    await http().get('/metrics').expect(200);
  });

  it('injects the principal and runs the handler with tenant and actor in the trace', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await http()
      .get('/me')
      .set('traceparent', formatTraceparent(traceId, '00f067aa0ba902b7'))
      .auth(await token({ sub: 'planner-bot', actorKind: 'agent', scopes: ['a', 'b'], projects: ['web'] }), { type: 'bearer' })
      .expect(200);
    expect(res.body.principal).toEqual({
      subject: 'planner-bot',
      tenantId: 'acme',
      projects: ['web'],
      scopes: ['a', 'b'],
      actor: { kind: 'agent', id: 'planner-bot' },
    });
    expect(res.body.trace).toMatchObject({ traceId, tenantId: 'acme', actor: { kind: 'agent', id: 'planner-bot' } });
  });

  it('answers 404, not 403, for another tenant resource', async () => {
    const bearer = await token();
    await http().get('/releases/r1').auth(bearer, { type: 'bearer' }).expect(200);
    const foreign = await http().get('/releases/r2').auth(bearer, { type: 'bearer' }).expect(404);
    const missing = await http().get('/releases/nope').auth(bearer, { type: 'bearer' }).expect(404);
    // Same answer whether it exists elsewhere or not at all.
    expect(foreign.body).toEqual(missing.body);
  });

  it('answers 404 for a project outside the token projects', async () => {
    const bearer = await token({ projects: ['web'] });
    await http().get('/releases/r1').auth(bearer, { type: 'bearer' }).expect(200);
    await http().get('/releases/r3').auth(bearer, { type: 'bearer' }).expect(404);
  });

  it('answers 404 when the tenant route parameter is another tenant', async () => {
    const bearer = await token();
    await http().get('/tenants/acme/summary').auth(bearer, { type: 'bearer' }).expect(200, { tenantId: 'acme' });
    await http().get('/tenants/globex/summary').auth(bearer, { type: 'bearer' }).expect(404);
  });
});
