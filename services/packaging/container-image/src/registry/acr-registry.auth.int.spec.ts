import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import challengeFixture from './__fixtures__/acr/challenge.401.json';
import exchangeFixture from './__fixtures__/acr/exchange.response.json';
import tokenFixture from './__fixtures__/acr/token.response.json';
import { AcrRegistryAuth, TokenRegistryAuth } from './registry.auth';
import { OciRegistryClient } from './registry.client';

// A loopback fake of ACR's /v2/ and token endpoints, answering with the documented shapes (__fixtures__/acr/README.md).
const SERVICE = 'myregistry.azurecr.io';
const AAD_TOKEN = 'aad-access-token-for-contoso';
const TENANT = 'contoso.onmicrosoft.com';
const DIGEST = `sha256:${'a'.repeat(64)}`;

interface Seen {
  method: string;
  path: string;
  form?: Record<string, string>;
  authorization?: string;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('ACR token flow against a loopback fake', () => {
  let server: Server;
  let url: string;
  const seen: Seen[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      void (async () => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        const text = await body(req);
        const form = req.headers['content-type']?.startsWith('application/x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(text)) : undefined;
        seen.push({ method: req.method ?? '', path: req.url ?? '', ...(form ? { form } : {}), ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
        const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(value));
        };
        if (path === '/oauth2/exchange' && req.method === 'POST') {
          const ok = form?.grant_type === 'access_token' && form.service === SERVICE && form.access_token === AAD_TOKEN && form.tenant === TENANT;
          return ok ? json(200, exchangeFixture) : json(401, { errors: [{ code: 'UNAUTHORIZED', message: 'invalid AAD token' }] });
        }
        if (path === '/oauth2/token' && req.method === 'POST') {
          const ok = form?.grant_type === 'refresh_token' && form.refresh_token === exchangeFixture.refresh_token && form.scope?.startsWith('repository:');
          return ok ? json(200, tokenFixture) : json(401, { errors: [{ code: 'UNAUTHORIZED' }] });
        }
        if (path === '/oauth2/token' && req.method === 'GET') {
          const expected = `Basic ${Buffer.from('pusher:s3cret').toString('base64')}`;
          return req.headers.authorization === expected ? json(200, { token: tokenFixture.access_token, expires_in: 300 }) : json(401, {});
        }
        if (path.startsWith('/v2/')) {
          if (req.headers.authorization !== `Bearer ${tokenFixture.access_token}`) {
            const challenge = challengeFixture.headers['www-authenticate'].replace('https://myregistry.azurecr.io', url);
            return json(challengeFixture.status, challengeFixture.body, { 'www-authenticate': challenge });
          }
          res.writeHead(404).end();
          return;
        }
        res.writeHead(404).end();
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    seen.length = 0;
  });

  it('answers the 401 challenge: exchange the AAD token once, then an access token per scope, and retry', async () => {
    const client = new OciRegistryClient(SERVICE, url, new AcrRegistryAuth(SERVICE, { aadAccessToken: async () => AAD_TOKEN, tenant: TENANT }));
    expect(await client.hasBlob('samples/hello-world', DIGEST)).toBe(false);
    expect(seen.map((s) => `${s.method} ${s.path.split('?')[0]}`)).toEqual([
      `HEAD /v2/samples/hello-world/blobs/${DIGEST}`,
      'POST /oauth2/exchange',
      'POST /oauth2/token',
      `HEAD /v2/samples/hello-world/blobs/${DIGEST}`,
    ]);
    expect(seen[1]?.form).toEqual({ grant_type: 'access_token', service: SERVICE, access_token: AAD_TOKEN, tenant: TENANT });
    expect(seen[2]?.form).toEqual({ grant_type: 'refresh_token', service: SERVICE, scope: 'repository:samples/hello-world:pull,push', refresh_token: exchangeFixture.refresh_token });

    // the same repository again: the token is reused; another repository: a new access token, no new exchange
    seen.length = 0;
    expect(await client.hasBlob('samples/hello-world', DIGEST)).toBe(false);
    expect(seen.map((s) => s.method)).toEqual(['HEAD']);
    seen.length = 0;
    expect(await client.hasBlob('samples/other', DIGEST)).toBe(false);
    expect(seen.map((s) => `${s.method} ${s.path.split('?')[0]}`)).toEqual([`HEAD /v2/samples/other/blobs/${DIGEST}`, 'POST /oauth2/token', `HEAD /v2/samples/other/blobs/${DIGEST}`]);
  });

  it('a refused AAD token is an authentication error, not a retry', async () => {
    const client = new OciRegistryClient(SERVICE, url, new AcrRegistryAuth(SERVICE, { aadAccessToken: async () => 'expired', tenant: TENANT }));
    await expect(client.hasBlob('samples/hello-world', DIGEST)).rejects.toMatchObject({ code: 'image.registry-auth' });
  });

  it('the docker token flow: GET the realm with basic credentials', async () => {
    const client = new OciRegistryClient(SERVICE, url, new TokenRegistryAuth(SERVICE, { username: 'pusher', password: 's3cret' }));
    expect(await client.hasBlob('samples/hello-world', DIGEST)).toBe(false);
    const token = seen.find((s) => s.path.startsWith('/oauth2/token'));
    expect(token?.method).toBe('GET');
    expect(new URL(token!.path, url).searchParams.get('scope')).toBe('repository:samples/hello-world:pull,push');
    expect(new URL(token!.path, url).searchParams.get('service')).toBe(SERVICE);
  });
});
