import { authConfigFromEnv, AuthConfigError } from './auth.config';
import { JwtVerifier, principalFromClaims, TokenRejectedError } from './jwt.verifier';
import { signTestToken } from './test-token';

const SECRET = 'a-local-secret-that-is-long-enough-0123456789';

describe('principalFromClaims', () => {
  it('maps claims to a principal, merging scope and scp, actor defaulting to user', () => {
    expect(principalFromClaims({ sub: 'u1', tenant: 'acme', scope: 'a.read  a.write', scp: ['b.x', 'a.read'] })).toEqual({
      subject: 'u1',
      tenantId: 'acme',
      scopes: ['a.read', 'a.write', 'b.x'],
      actor: { kind: 'user', id: 'u1' },
    });
  });

  it('keeps projects and the actor kind', () => {
    expect(principalFromClaims({ sub: 'bot', tenant: 'acme', projects: ['web'], actor_kind: 'agent', scp: 'x y' })).toMatchObject({
      projects: ['web'],
      scopes: ['x', 'y'],
      actor: { kind: 'agent', id: 'bot' },
    });
  });

  it.each([
    [{ tenant: 'acme' }, 'token has no sub claim'],
    [{ sub: 'u1' }, 'token has no tenant claim'],
    [{ sub: 'u1', tenant: 'Acme Corp' }, 'token tenant claim is not a tenant id'],
    [{ sub: 'u1', tenant: 'acme', projects: 'web' }, 'token projects claim must be an array of project ids'],
    [{ sub: 'u1', tenant: 'acme', actor_kind: 'robot' }, 'token actor_kind claim must be one of agent, user, service'],
  ])('rejects %j', (claims, message) => {
    expect(() => principalFromClaims(claims)).toThrow(new TokenRejectedError('bad-claims', message));
  });
});

describe('JwtVerifier (HS256)', () => {
  const verifier = new JwtVerifier({ kind: 'hs256', secret: SECRET, issuer: 'local', audience: 'delivery' });

  it('accepts a token it can verify', async () => {
    const token = await signTestToken({ sub: 'u1', tenant: 'acme', scopes: ['s1'], issuer: 'local', audience: 'delivery' }, SECRET);
    await expect(verifier.verify(token)).resolves.toMatchObject({ subject: 'u1', tenantId: 'acme', scopes: ['s1'] });
  });

  it.each([
    ['wrong issuer', { issuer: 'elsewhere', audience: 'delivery' }, 'bad-claims', /iss/],
    ['wrong audience', { issuer: 'local', audience: 'other' }, 'bad-claims', /aud/],
    ['expired', { issuer: 'local', audience: 'delivery', expiresInSeconds: -120 }, 'expired', /token expired/],
  ])('rejects a token with %s', async (_case, extra, reason, message) => {
    const token = await signTestToken({ sub: 'u1', tenant: 'acme', ...extra }, SECRET);
    await expect(verifier.verify(token)).rejects.toMatchObject({ reason, message: expect.stringMatching(message) });
  });

  it('tolerates small clock skew', async () => {
    const token = await signTestToken({ sub: 'u1', tenant: 'acme', issuer: 'local', audience: 'delivery', expiresInSeconds: -5 }, SECRET);
    await expect(verifier.verify(token)).resolves.toMatchObject({ subject: 'u1' });
  });

  it('rejects garbage as malformed', async () => {
    await expect(verifier.verify('not.a.jwt')).rejects.toMatchObject({ reason: 'malformed' });
  });
});

describe('authConfigFromEnv', () => {
  it('chooses HS256 from JWT_SECRET', () => {
    expect(authConfigFromEnv({ JWT_SECRET: SECRET })).toEqual({ kind: 'hs256', secret: SECRET });
  });

  it('chooses JWKS when JWKS_URL is set', () => {
    expect(
      authConfigFromEnv({ JWKS_URL: 'https://login.example/keys', JWT_ISSUER: 'https://login.example/', JWT_AUDIENCE: 'api://delivery' }),
    ).toEqual({ kind: 'jwks', jwksUrl: 'https://login.example/keys', issuer: 'https://login.example/', audience: 'api://delivery' });
  });

  it.each([
    [{}, 'JWT_SECRET'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ JWKS_URL: 'https://login.example/keys', JWT_AUDIENCE: 'x' }, 'JWT_ISSUER'],
    [{ JWKS_URL: 'https://login.example/keys', JWT_ISSUER: 'x' }, 'JWT_AUDIENCE'],
    [{ JWKS_URL: 'file:///etc/keys', JWT_ISSUER: 'x', JWT_AUDIENCE: 'y' }, 'JWKS_URL'],
  ])('names the bad variable for %j', (env, variable) => {
    expect(() => authConfigFromEnv(env)).toThrow(AuthConfigError);
    expect(() => authConfigFromEnv(env)).toThrow(new RegExp(`^${variable}: `));
  });
});
