import { Type, type Static } from '@sinclair/typebox';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { DEFAULT_NAMESPACE } from '@delivery/contracts';

// DESIGN §6: configuration is validated once, at start, and a bad value fails with the variable's name.
const ConfigSchema = Type.Object({
  SERVICE_HOST: Type.String({ minLength: 1 }),
  SERVICE_PORT: Type.Integer({ minimum: 0, maximum: 65535 }),
  NATS_URL: Type.String({ pattern: '^(nats|tls)://[^\\s]+$' }),
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://[^\\s]+$' }),
  BUS_NAMESPACE: Type.String({ pattern: '^[a-z][a-z0-9]{0,31}$' }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
  CONSUMER_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 1024 }),
  RETRY_INITIAL_MS: Type.Integer({ minimum: 1 }),
  RETRY_MAX_MS: Type.Integer({ minimum: 1 }),
  HANDLER_TIMEOUT_MS: Type.Integer({ minimum: 1 }),
  DB_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 200 }),
  EVENT_STORE: Type.Union([Type.Literal('postgres'), Type.Literal('eventstoredb')]),
  EVENTSTORE_URL: Type.Optional(Type.String({ pattern: '^(esdb|kurrentdb|kurrent|esdb\\+discover)://' })),
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0 }),
});

export type ServiceConfig = Static<typeof ConfigSchema>;

const DEFAULTS: Record<keyof ServiceConfig, string | undefined> = {
  SERVICE_HOST: '127.0.0.1',
  SERVICE_PORT: '0',
  NATS_URL: 'nats://127.0.0.1:4222',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
  BUS_NAMESPACE: DEFAULT_NAMESPACE,
  LOG_LEVEL: 'info',
  CONSUMER_CONCURRENCY: '8',
  RETRY_INITIAL_MS: '1000',
  RETRY_MAX_MS: '60000',
  HANDLER_TIMEOUT_MS: '300000',
  DB_POOL_SIZE: '10',
  EVENT_STORE: 'postgres',
  EVENTSTORE_URL: undefined,
  SHUTDOWN_GRACE_MS: '10000',
};

const validate = new Ajv({ allErrors: true, coerceTypes: true });
addFormats(validate);
const check = validate.compile(ConfigSchema);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the service's configuration from the environment (then overrides), with defaults for local runs. */
export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<ServiceConfig> = {}): ServiceConfig {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(DEFAULTS) as Array<keyof ServiceConfig>) {
    const value = overrides[key] ?? env[key] ?? DEFAULTS[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  if (!check(raw)) {
    const problems = (check.errors ?? []).map((e) => {
      const name = e.instancePath.replace(/^\//, '') || String(e.params?.missingProperty ?? 'config');
      return `${name}=${JSON.stringify(raw[name] ?? null)}: ${e.message ?? 'is invalid'}`;
    });
    throw new ConfigError(problems);
  }
  const config = raw as ServiceConfig;
  if (config.EVENT_STORE === 'eventstoredb' && !config.EVENTSTORE_URL) throw new ConfigError(['EVENTSTORE_URL: required when EVENT_STORE=eventstoredb']);
  if (config.RETRY_MAX_MS < config.RETRY_INITIAL_MS) throw new ConfigError(['RETRY_MAX_MS: must not be below RETRY_INITIAL_MS']);
  return config;
}
