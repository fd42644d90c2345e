export * from './indexer';
export * from './thread-safe-store';
export * from './lister';
export * from './reflector';
export * from './shared-informer';
export * from './informer-factory';
