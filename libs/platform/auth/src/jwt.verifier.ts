import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from './auth.config';
import { validateAuthConfig } from './auth.config';
import type { ActorKind, Principal } from './principal';

export type TokenRejection =
  | 'missing'
  | 'malformed'
  | 'expired'
  | 'not-yet-valid'
  | 'bad-signature'
  | 'bad-claims'
  | 'keys-unavailable';

export class TokenRejectedError extends Error {
  constructor(
    readonly reason: TokenRejection,
    message: string,
  ) {
    super(message);
    this.name = 'TokenRejectedError';
  }
}

// Tenants and projects appear in subjects and paths (contracts Slug).
const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ACTOR_KINDS: readonly ActorKind[] = ['agent', 'user', 'service'];
const ASYMMETRIC = ['RS256', 'PS256', 'ES256', 'EdDSA'];

export class JwtVerifier {
  private readonly key: Uint8Array | JWTVerifyGetKey;
  private readonly algorithms: string[];

  constructor(private readonly config: AuthConfig) {
    validateAuthConfig(config);
    if (config.kind === 'hs256') {
      this.key = new TextEncoder().encode(config.secret);
      this.algorithms = ['HS256'];
    } else {
      // jose caches the key set and refetches on an unknown kid (key rotation), at most every cooldown.
      this.key = createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
      this.algorithms = config.algorithms ?? ASYMMETRIC;
    }
  }

  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      const options = {
        algorithms: this.algorithms,
        clockTolerance: this.config.clockToleranceSeconds ?? 30,
        // A token without exp would never expire.
        requiredClaims: ['exp', 'sub'],
        ...(this.config.issuer ? { issuer: this.config.issuer } : {}),
        ...(this.config.audience ? { audience: this.config.audience } : {}),
      };
      // Two calls: jose's overloads differ for a key and a key-resolving function.
      payload =
        this.key instanceof Uint8Array
          ? (await jwtVerify(token, this.key, options)).payload
          : (await jwtVerify(token, this.key, options)).payload;
    } catch (error) {
      throw toRejection(error);
    }
    return principalFromClaims(payload);
  }
}

function toRejection(error: unknown): TokenRejectedError {
  if (error instanceof errors.JWTExpired) return new TokenRejectedError('expired', 'token expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return new TokenRejectedError('not-yet-valid', 'token is not valid yet (nbf)');
    if (error.reason === 'missing') return new TokenRejectedError('bad-claims', `token has no ${error.claim} claim`);
    return new TokenRejectedError('bad-claims', `token ${error.claim} claim is not accepted: ${error.message}`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return new TokenRejectedError('bad-signature', 'token signature is invalid');
  if (error instanceof errors.JOSEAlgNotAllowed) return new TokenRejectedError('bad-signature', 'token signing algorithm is not accepted');
  if (error instanceof errors.JWKSNoMatchingKey) return new TokenRejectedError('bad-signature', 'token is signed with an unknown key');
  if (error instanceof errors.JWKSTimeout) return new TokenRejectedError('keys-unavailable', 'signing keys could not be fetched in time');
  // jose's generic error comes from fetching the key set (non-200, not JSON); JWKSInvalid from its content.
  if (error instanceof errors.JWKSInvalid || (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC')) {
    return new TokenRejectedError('keys-unavailable', `signing keys could not be fetched: ${error.message}`);
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid || error instanceof errors.JOSENotSupported) {
    return new TokenRejectedError('malformed', `token is malformed: ${error.message}`);
  }
  if (error instanceof errors.JOSEError) return new TokenRejectedError('malformed', `token rejected: ${error.message}`);
  // Anything else is a failure to reach the key set (network, bad JSON from the provider).
  const message = error instanceof Error ? error.message : String(error);
  return new TokenRejectedError('keys-unavailable', `signing keys could not be fetched: ${message}`);
}

export function principalFromClaims(claims: JWTPayload): Principal {
  const subject = claims.sub;
  if (typeof subject !== 'string' || subject.length === 0) throw new TokenRejectedError('bad-claims', 'token has no sub claim');
  const tenant = claims.tenant;
  if (tenant === undefined) throw new TokenRejectedError('bad-claims', 'token has no tenant claim');
  if (typeof tenant !== 'string' || !SLUG.test(tenant)) throw new TokenRejectedError('bad-claims', 'token tenant claim is not a tenant id');

  let projects: string[] | undefined;
  if (claims.projects !== undefined) {
    if (!Array.isArray(claims.projects) || !claims.projects.every((p): p is string => typeof p === 'string' && SLUG.test(p))) {
      throw new TokenRejectedError('bad-claims', 'token projects claim must be an array of project ids');
    }
    projects = claims.projects;
  }

  const kind = claims.actor_kind ?? 'user';
  if (!ACTOR_KINDS.includes(kind as ActorKind)) {
    throw new TokenRejectedError('bad-claims', `token actor_kind claim must be one of ${ACTOR_KINDS.join(', ')}`);
  }

  return {
    subject,
    tenantId: tenant,
    ...(projects ? { projects } : {}),
    scopes: scopesOf(claims),
    actor: { kind: kind as ActorKind, id: subject },
  };
}

// OAuth `scope` is a space-separated string; Azure AD and others send `scp` (string or array). Accept both.
function scopesOf(claims: JWTPayload): string[] {
  const scopes = new Set<string>();
  const add = (value: unknown) => {
    if (typeof value === 'string') value.split(/\s+/).filter(Boolean).forEach((s) => scopes.add(s));
    else if (Array.isArray(value)) value.forEach((s) => typeof s === 'string' && s && scopes.add(s));
  };
  add(claims.scope);
  add(claims.scp);
  return [...scopes];
}
