import { Controller, Get, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import request from 'supertest';
import { AuthModule } from './auth.module';
import { CurrentPrincipal } from './auth.decorators';
import type { Principal } from './principal';

@Controller()
class MeController {
  @Get('me')
  me(@CurrentPrincipal() principal: Principal) {
    return principal;
  }
}

const ISSUER = 'https://login.local.test/';
const AUDIENCE = 'api://delivery';

// A real OIDC-style key set served over HTTP on loopback, as a provider would.
describe('JwtAuthGuard (JWKS) over HTTP', () => {
  let app: INestApplication;
  let jwksServer: Server;
  let signingKey: KeyLike;
  let strangerKey: KeyLike;
  let keySetRequests = 0;

  const sign = (claims: Record<string, unknown>, key = signingKey, kid = 'k1', options: { issuer?: string; audience?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid })
      .setSubject('svc-deployer')
      .setIssuer(options.issuer ?? ISSUER)
      .setAudience(options.audience ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    signingKey = pair.privateKey;
    strangerKey = (await generateKeyPair('RS256')).privateKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwksServer = createServer((req, res) => {
      keySetRequests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const { port } = jwksServer.address() as AddressInfo;

    const moduleRef = await Test.createTestingModule({
      imports: [
        AuthModule.forRoot({
          config: { kind: 'jwks', jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`, issuer: ISSUER, audience: AUDIENCE },
        }),
      ],
      controllers: [MeController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await new Promise((resolve) => jwksServer?.close(resolve));
  });

  const http = () => request(app.getHttpServer());

  it('accepts a token signed by a key of the set, with issuer and audience', async () => {
    const token = await sign({ tenant: 'acme', scp: ['devops.releases.approve'], actor_kind: 'service' });
    const res = await http().get('/me').auth(token, { type: 'bearer' }).expect(200);
    expect(res.body).toEqual({
      subject: 'svc-deployer',
      tenantId: 'acme',
      scopes: ['devops.releases.approve'],
      actor: { kind: 'service', id: 'svc-deployer' },
    });
    expect(keySetRequests).toBeGreaterThanOrEqual(1);
  });

  it('caches the key set', async () => {
    const before = keySetRequests;
    await http().get('/me').auth(await sign({ tenant: 'acme' }), { type: 'bearer' }).expect(200);
    expect(keySetRequests).toBe(before);
  });

  it('rejects a key outside the set', async () => {
    const res = await http()
      .get('/me')
      .auth(await sign({ tenant: 'acme' }, strangerKey, 'k1'), { type: 'bearer' })
      .expect(401);
    expect(res.body.message).toBe('token signature is invalid');
  });

  it('rejects a wrong issuer or audience', async () => {
    const badIssuer = await http()
      .get('/me')
      .auth(await sign({ tenant: 'acme' }, signingKey, 'k1', { issuer: 'https://evil.test/' }), { type: 'bearer' })
      .expect(401);
    expect(badIssuer.body.message).toMatch(/iss/);
    await http()
      .get('/me')
      .auth(await sign({ tenant: 'acme' }, signingKey, 'k1', { audience: 'api://other' }), { type: 'bearer' })
      .expect(401, /aud/);
  });

  it('refuses an HS256 token even when it claims the right issuer', async () => {
    const hs = await new SignJWT({ tenant: 'acme' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('any-secret-any-secret-any-secret-1234'));
    const res = await http().get('/me').auth(hs, { type: 'bearer' }).expect(401);
    expect(res.body.message).toBe('token signing algorithm is not accepted');
  });
});
