export * from './contexts';
export * from './envelope';
export * from './message';
export * from './names';
export * from './limits';
export * from './catalogue';
export * from './validate';
