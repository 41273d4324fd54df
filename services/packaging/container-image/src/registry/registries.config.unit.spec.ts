import { AcrRegistryAuth, TokenRegistryAuth } from './registry.auth';
import { authOf, parseRegistries, RegistryClients } from './registries.config';

describe('CONTAINER_REGISTRIES', () => {
  it('reads a map of registries', () => {
    const parsed = parseRegistries('{"localhost:5000":{"url":"http://localhost:5000","kind":"distribution"},"shop.azurecr.io":{"url":"https://shop.azurecr.io","kind":"acr","password":"aad","tenant":"contoso"}}');
    expect(Object.keys(parsed)).toEqual(['localhost:5000', 'shop.azurecr.io']);
  });

  it('names the variable when the JSON is broken or a registry is malformed', () => {
    expect(() => parseRegistries('{')).toThrow(/^CONTAINER_REGISTRIES: not valid JSON/);
    expect(() => parseRegistries('{"r":{"url":"ftp://r","kind":"distribution"}}')).toThrow(/^CONTAINER_REGISTRIES: \/r\/url/);
    expect(() => parseRegistries('{"r":{"url":"http://r","kind":"quay"}}')).toThrow(/^CONTAINER_REGISTRIES:/);
  });

  it('ACR with an Entra ID token uses the exchange flow; with a user and password, the basic token flow', () => {
    expect(authOf('a.azurecr.io', { url: 'https://a.azurecr.io', kind: 'acr', password: 'aad' })).toBeInstanceOf(AcrRegistryAuth);
    expect(authOf('a.azurecr.io', { url: 'https://a.azurecr.io', kind: 'acr', username: 'admin', password: 'pw' })).toBeInstanceOf(TokenRegistryAuth);
    expect(authOf('r', { url: 'http://r', kind: 'distribution' })).toBeInstanceOf(TokenRegistryAuth);
  });

  it('DEFAULT_REGISTRY must be one of them; an unknown registry is a validation error', () => {
    expect(() => new RegistryClients({}, 'nope')).toThrow(/^DEFAULT_REGISTRY/);
    const clients = new RegistryClients({ r: { url: 'http://r', kind: 'distribution' } }, 'r');
    expect(clients.resolve(undefined).host).toBe('r');
    expect(() => clients.resolve('other')).toThrow(expect.objectContaining({ code: 'image.registry-unknown' }));
  });
});
