export * from './cluster-state';
export * from './records';
export * from './server';
export * from './forwarder';
export * from './errors';
export * from './cluster-dns';
