// Re-exports straight from the leaf modules (no nested `export *` chains), so Node's CJS named-export
// detection sees every name when ESM code imports this package from source through tsx.
export * from './interfaces';
export * from './errors';
export * from './resolve';
export * from './selectors';
export * from './patch';
export * from './strategic-merge';
export * from './fake/fake-clientset';
export * from './kubeconfig';
export * from './grpc-clientset';
export * from './clock';
export * from './workqueue/rate-limiter';
export * from './workqueue/rate-limiting-queue';
export * from './workqueue/workqueue-metrics';
export * from './informers/indexer';
export * from './informers/thread-safe-store';
export * from './informers/lister';
export * from './informers/reflector';
export * from './informers/shared-informer';
export * from './informers/informer-factory';
export * from './leaderelection/leader-elector';
export * from './events/event-recorder';
export * from './health/health-server';
