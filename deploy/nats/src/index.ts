export * from './topology';
export * from './subscriptions';
export * from './provisioner';
