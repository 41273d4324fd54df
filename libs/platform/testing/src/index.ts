export * from './postgres.fixture';
export * from './namespace';
export * from './bus.fixture';
export * from './processes';
export * from './service.fixture';
export * from './contract-client';
export * from './read-only';
export * from './builds.fixture';
