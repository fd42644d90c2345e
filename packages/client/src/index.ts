export * from './interfaces';
export * from './errors';
export * from './resolve';
export * from './selectors';
export * from './patch';
export * from './fake';
export * from './kubeconfig';
export * from './grpc-clientset';
