import { ConfigError, loadServiceConfig } from '../src/service-config';

describe('service configuration', () => {
  it('has working defaults for a local run', () => {
    expect(loadServiceConfig({})).toMatchObject({ NATS_URL: 'nats://127.0.0.1:4222', BUS_NAMESPACE: 'devops', SERVICE_PORT: 0, EVENT_STORE: 'postgres' });
  });

  it('coerces numbers from the environment', () => {
    expect(loadServiceConfig({ SERVICE_PORT: '8081', CONSUMER_CONCURRENCY: '16' })).toMatchObject({ SERVICE_PORT: 8081, CONSUMER_CONCURRENCY: 16 });
  });

  it('fails at start with a message naming every bad variable', () => {
    const attempt = () => loadServiceConfig({ DATABASE_URL: 'mysql://x', SERVICE_PORT: '70000', LOG_LEVEL: 'loud' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/DATABASE_URL="mysql:\/\/x": must match pattern/);
    expect(attempt).toThrow(/SERVICE_PORT=70000: must be <= 65535/);
    expect(attempt).toThrow(/LOG_LEVEL="loud"/);
  });

  it('requires EVENTSTORE_URL with the EventStoreDB adapter, and a sane retry range', () => {
    expect(() => loadServiceConfig({ EVENT_STORE: 'eventstoredb' })).toThrow(/EVENTSTORE_URL: required when EVENT_STORE=eventstoredb/);
    expect(() => loadServiceConfig({ RETRY_INITIAL_MS: '500', RETRY_MAX_MS: '100' })).toThrow(/RETRY_MAX_MS/);
  });
});
