export * from './known-builds';
