import { bearerChallenge, parseWwwAuthenticate } from './www-authenticate.parser';

describe('WWW-Authenticate parser', () => {
  it('reads a registry bearer challenge, scope commas inside quotes included', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/node:pull,push"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/node:pull,push' } },
    ]);
  });

  it('reads the ACR challenge as recorded in the fixture', () => {
    const challenge = bearerChallenge('Bearer realm="https://myregistry.azurecr.io/oauth2/token",service="myregistry.azurecr.io",scope="repository:samples/hello-world:pull"');
    expect(challenge?.params).toEqual({ realm: 'https://myregistry.azurecr.io/oauth2/token', service: 'myregistry.azurecr.io', scope: 'repository:samples/hello-world:pull' });
  });

  it('reads several challenges, unquoted values, spaces, case and escapes', () => {
    expect(parseWwwAuthenticate('Basic realm="Registry \\"Realm\\"", BEARER Realm=https://r/t , Service = r, error="invalid_token"')).toEqual([
      { scheme: 'basic', params: { realm: 'Registry "Realm"' } },
      { scheme: 'bearer', params: { realm: 'https://r/t', service: 'r', error: 'invalid_token' } },
    ]);
  });

  it('finds no bearer challenge in a basic-only header, an empty one or a bearer without realm', () => {
    expect(bearerChallenge('Basic realm="x"')).toBeUndefined();
    expect(bearerChallenge(null)).toBeUndefined();
    expect(bearerChallenge('Bearer service="x"')).toBeUndefined();
    expect(parseWwwAuthenticate('')).toEqual([]);
  });
});
