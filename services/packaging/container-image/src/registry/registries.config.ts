import { Type, type Static } from '@sinclair/typebox';
import Ajv from 'ajv';
import { ValidationError } from '@delivery/messaging';
import { AcrRegistryAuth, TokenRegistryAuth, type Fetch, type RegistryAuth } from './registry.auth';
import { DEFAULT_RETRY, OciRegistryClient, type RetryPolicy } from './registry.client';

// CONTAINER_REGISTRIES: JSON map host → {url, username?, password?, kind, tenant?}; DEFAULT_REGISTRY: the host a
// BuildContainerImage without `registry` pushes to. README "Registries" has examples.
const RegistrySchema = Type.Object(
  {
    url: Type.String({ pattern: '^https?://[^\\s]+$' }),
    kind: Type.Union([Type.Literal('distribution'), Type.Literal('acr')]),
    username: Type.Optional(Type.String({ minLength: 1 })),
    password: Type.Optional(Type.String({ minLength: 1 })),
    /** acr: the Entra ID tenant sent with the refresh-token exchange */
    tenant: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);
const RegistriesSchema = Type.Record(Type.String({ pattern: '^[A-Za-z0-9.-]+(:[0-9]{1,5})?$' }), RegistrySchema);
export type RegistryConfig = Static<typeof RegistrySchema>;

/** ACR's username for a refresh token / Entra ID token rather than an admin user or a repository token */
const ACR_TOKEN_USER = '00000000-0000-0000-0000-000000000000';

const check = new Ajv({ allErrors: true }).compile(RegistriesSchema);

export function parseRegistries(raw: string | undefined): Record<string, RegistryConfig> {
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error('CONTAINER_REGISTRIES: not valid JSON');
  }
  if (!check(parsed)) {
    const problems = (check.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
    throw new Error(`CONTAINER_REGISTRIES: ${problems.join('; ')}`);
  }
  return parsed as Record<string, RegistryConfig>;
}

export function authOf(host: string, config: RegistryConfig, fetchFn: Fetch = fetch): RegistryAuth {
  const { username, password } = config;
  if (config.kind === 'acr' && password && (!username || username === ACR_TOKEN_USER)) {
    return new AcrRegistryAuth(host, { aadAccessToken: async () => password, ...(config.tenant ? { tenant: config.tenant } : {}) }, fetchFn);
  }
  return new TokenRegistryAuth(host, username && password ? { username, password } : undefined, fetchFn);
}

export class UnknownRegistryError extends ValidationError {
  constructor(host: string | undefined, known: string[]) {
    super('image.registry-unknown', host ? `registry "${host}" is not configured (CONTAINER_REGISTRIES has ${known.join(', ') || 'none'})` : 'no registry named and no DEFAULT_REGISTRY configured');
  }
}

/** One client per configured registry, kept for the process: token caches live in them. */
export class RegistryClients {
  private readonly clients = new Map<string, OciRegistryClient>();

  constructor(
    private readonly registries: Record<string, RegistryConfig>,
    private readonly defaultRegistry: string | undefined,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {
    if (defaultRegistry && !registries[defaultRegistry]) throw new Error(`DEFAULT_REGISTRY: "${defaultRegistry}" is not a key of CONTAINER_REGISTRIES`);
  }

  resolve(requested: string | undefined): { host: string; client: OciRegistryClient } {
    const host = requested ?? this.defaultRegistry;
    const config = host ? this.registries[host] : undefined;
    if (!host || !config) throw new UnknownRegistryError(host, Object.keys(this.registries));
    let client = this.clients.get(host);
    if (!client) {
      client = new OciRegistryClient(host, config.url, authOf(host, config), this.retry);
      this.clients.set(host, client);
    }
    return { host, client };
  }
}
