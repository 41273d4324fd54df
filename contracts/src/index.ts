export * from './contexts';
export * from './envelope';
export * from './message';
export * from './names';
export * from './limits';
export * from './catalogue';
export * from './validate';
export * from './dead-letter';
export * from './json-schema';
export { buildAsyncApi, ASYNCAPI_VERSION, CONTRACTS_VERSION } from './asyncapi';
export { exampleEnvelope, exampleOf } from './examples';
// Shared payload shapes (schemas and their TS types), e.g. `schemas.FileChange`.
export * as schemas from './catalogue/shared.schemas';
