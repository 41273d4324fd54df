export * from './service-config';
export * from './service-kit.tokens';
export * from './platform-exception.filter';
export * from './transport-metrics';
export * from './bootstrap-service';
export * from './service-registry';
export * from './command-runner';
export * from './rest-command';
