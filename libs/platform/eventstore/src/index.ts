export * from './event-store.port';
export * from './postgres-event-store.adapter';
export * from './postgres-event-store.migration';
export * from './eventstoredb-event-store.adapter';
export { listenClientConfig, PostgresNotifyListener } from './postgres-notify.listener';
