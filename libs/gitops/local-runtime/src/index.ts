export * from './backoff';
export * from './health';
export * from './http.probe';
export * from './port.allocator';
export * from './proc-stat';
export * from './process-record.store';
export * from './process.supervisor';
export * from './supervisor.config';
