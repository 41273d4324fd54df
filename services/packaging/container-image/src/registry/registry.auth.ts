import { RegistryAuthError } from './registry.errors';
import type { Challenge } from './www-authenticate.parser';

export type Fetch = typeof fetch;

/** Turns a 401 challenge into an Authorization header value; tokens are cached per realm, service and scope. */
export interface RegistryAuth {
  authorize(challenge: Challenge): Promise<string>;
}

export interface Credentials {
  username: string;
  password: string;
}

interface CachedToken {
  header: string;
  expiresAt: number;
}

const REQUEST_TIMEOUT_MS = 30_000;
/** a token is renewed this long before it expires, so it does not lapse in flight */
const EXPIRY_MARGIN_MS = 30_000;

export function basicHeader({ username, password }: Credentials): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** the `exp` of a JWT access token in ms, if it carries one */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

abstract class CachingAuth implements RegistryAuth {
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    protected readonly registry: string,
    protected readonly fetchFn: Fetch,
    protected readonly now: () => number,
  ) {}

  async authorize(challenge: Challenge): Promise<string> {
    if (challenge.scheme !== 'bearer') return this.basic(challenge);
    const { realm, service = '', scope = '' } = challenge.params;
    if (!realm) throw new RegistryAuthError(this.registry, 'bearer challenge without a realm');
    const key = `${realm}\n${service}\n${scope}`;
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt - EXPIRY_MARGIN_MS > this.now()) return cached.header;
    const { token, expiresAt } = await this.fetchToken(realm, service, scope);
    const header = `Bearer ${token}`;
    this.tokens.set(key, { header, expiresAt });
    return header;
  }

  protected basic(challenge: Challenge): Promise<string> {
    throw new RegistryAuthError(this.registry, `unsupported challenge ${challenge.scheme}`);
  }

  protected abstract fetchToken(realm: string, service: string, scope: string): Promise<{ token: string; expiresAt: number }>;

  protected async json(url: string, init: RequestInit, what: string): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await this.fetchFn(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      throw new RegistryAuthError(this.registry, `${what} ${url}: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok) throw new RegistryAuthError(this.registry, `${what} ${url} answered HTTP ${response.status} ${text.slice(0, 300)}`);
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new RegistryAuthError(this.registry, `${what} ${url} answered something other than JSON`);
    }
  }
}

// The Docker registry token flow (distribution's token spec): GET <realm>?service=…&scope=…, with basic auth when
// credentials are configured (anonymous otherwise); the answer's `token` (or OAuth `access_token`) is the bearer.
export class TokenRegistryAuth extends CachingAuth {
  constructor(registry: string, private readonly credentials?: Credentials, fetchFn: Fetch = fetch, now: () => number = Date.now) {
    super(registry, fetchFn, now);
  }

  protected override async basic(): Promise<string> {
    if (!this.credentials) throw new RegistryAuthError(this.registry, 'the registry asks for basic auth and no username/password is configured');
    return basicHeader(this.credentials);
  }

  protected async fetchToken(realm: string, service: string, scope: string): Promise<{ token: string; expiresAt: number }> {
    const url = new URL(realm);
    if (service) url.searchParams.set('service', service);
    if (scope) url.searchParams.set('scope', scope);
    const body = await this.json(url.toString(), { headers: this.credentials ? { authorization: basicHeader(this.credentials) } : {} }, 'token request');
    const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined;
    if (!token) throw new RegistryAuthError(this.registry, 'the token endpoint answered without a token');
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 60;
    return { token, expiresAt: jwtExpiry(token) ?? this.now() + expiresIn * 1000 };
  }
}

export interface AcrAuthOptions {
  /** an Entra ID (AAD) access token for the registry's tenant, e.g. from a managed identity */
  aadAccessToken: () => Promise<string>;
  tenant?: string;
}

// Azure Container Registry's token API (Azure/acr docs "AAD-OAuth"): the Entra ID access token is exchanged once for
// an ACR refresh token (POST /oauth2/exchange, grant_type=access_token), which then buys access tokens per scope
// (POST /oauth2/token, grant_type=refresh_token). Both are form posts; answers {"refresh_token"} / {"access_token"}.
export class AcrRegistryAuth extends CachingAuth {
  private refresh?: { token: string; expiresAt: number };

  constructor(registry: string, private readonly options: AcrAuthOptions, fetchFn: Fetch = fetch, now: () => number = Date.now) {
    super(registry, fetchFn, now);
  }

  protected async fetchToken(realm: string, service: string, scope: string): Promise<{ token: string; expiresAt: number }> {
    const refreshToken = await this.refreshToken(realm, service);
    try {
      return await this.accessToken(realm, service, scope, refreshToken);
    } catch (error) {
      // the refresh token may have been revoked or expired early: exchange once more, then give up
      this.refresh = undefined;
      const again = await this.refreshToken(realm, service).catch(() => {
        throw error;
      });
      return this.accessToken(realm, service, scope, again);
    }
  }

  private async refreshToken(realm: string, service: string): Promise<string> {
    if (this.refresh && this.refresh.expiresAt - EXPIRY_MARGIN_MS > this.now()) return this.refresh.token;
    const form = new URLSearchParams({ grant_type: 'access_token', service, access_token: await this.options.aadAccessToken() });
    if (this.options.tenant) form.set('tenant', this.options.tenant);
    const body = await this.json(new URL('/oauth2/exchange', realm).toString(), formPost(form), 'ACR refresh-token exchange');
    if (typeof body.refresh_token !== 'string') throw new RegistryAuthError(this.registry, 'the ACR exchange answered without a refresh_token');
    // ACR refresh tokens live about three hours; without an exp claim, assume one hour
    this.refresh = { token: body.refresh_token, expiresAt: jwtExpiry(body.refresh_token) ?? this.now() + 3_600_000 };
    return body.refresh_token;
  }

  private async accessToken(realm: string, service: string, scope: string, refreshToken: string): Promise<{ token: string; expiresAt: number }> {
    const form = new URLSearchParams({ grant_type: 'refresh_token', service, scope, refresh_token: refreshToken });
    const body = await this.json(realm, formPost(form), 'ACR access-token request');
    if (typeof body.access_token !== 'string') throw new RegistryAuthError(this.registry, 'the ACR token endpoint answered without an access_token');
    return { token: body.access_token, expiresAt: jwtExpiry(body.access_token) ?? this.now() + 60_000 };
  }
}

function formPost(form: URLSearchParams): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() };
}
