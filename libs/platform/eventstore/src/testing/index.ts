// Separate entry: the conformance suite uses Jest globals, so it stays out of the runtime index.
export * from './event-store.conformance';
