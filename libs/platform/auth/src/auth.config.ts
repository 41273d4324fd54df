// DESIGN §6: HS256 with a shared secret locally, JWKS (OIDC provider keys) in production.
interface CommonAuthConfig {
  /** expected `iss`; required for JWKS */
  issuer?: string;
  /** expected `aud`; required for JWKS */
  audience?: string | string[];
  /** leeway for exp/nbf against clock skew (default 30 s) */
  clockToleranceSeconds?: number;
}

export interface HmacAuthConfig extends CommonAuthConfig {
  kind: 'hs256';
  secret: string;
}

export interface JwksAuthConfig extends CommonAuthConfig {
  kind: 'jwks';
  jwksUrl: string;
  issuer: string;
  audience: string | string[];
  /** accepted signing algorithms (default RS256, PS256, ES256, EdDSA) */
  algorithms?: string[];
}

export type AuthConfig = HmacAuthConfig | JwksAuthConfig;

export const MIN_SECRET_LENGTH = 32;

export class AuthConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'AuthConfigError';
  }
}

// Validated once at start (DESIGN §6 config), failing with the name of the bad variable.
export function authConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const issuer = env.JWT_ISSUER || undefined;
  const audience = env.JWT_AUDIENCE ? env.JWT_AUDIENCE.split(',').map((a) => a.trim()).filter(Boolean) : undefined;
  if (env.JWKS_URL) {
    if (!/^https?:\/\//.test(env.JWKS_URL)) throw new AuthConfigError('JWKS_URL', 'must be an http(s) URL');
    if (!issuer) throw new AuthConfigError('JWT_ISSUER', 'is required with JWKS_URL');
    if (!audience?.length) throw new AuthConfigError('JWT_AUDIENCE', 'is required with JWKS_URL');
    return { kind: 'jwks', jwksUrl: env.JWKS_URL, issuer, audience: audience.length === 1 ? audience[0]! : audience };
  }
  if (!env.JWT_SECRET) throw new AuthConfigError('JWT_SECRET', 'is not set (or set JWKS_URL, JWT_ISSUER and JWT_AUDIENCE)');
  return validateAuthConfig({
    kind: 'hs256',
    secret: env.JWT_SECRET,
    ...(issuer ? { issuer } : {}),
    ...(audience?.length ? { audience } : {}),
  });
}

export function validateAuthConfig<C extends AuthConfig>(config: C): C {
  if (config.kind === 'hs256' && config.secret.length < MIN_SECRET_LENGTH) {
    // RFC 7518 §3.2: an HS256 key shorter than the hash output is guessable offline.
    throw new AuthConfigError('JWT_SECRET', `must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  if (config.kind === 'jwks') {
    try {
      new URL(config.jwksUrl);
    } catch {
      throw new AuthConfigError('JWKS_URL', `is not a URL: ${config.jwksUrl}`);
    }
  }
  return config;
}
