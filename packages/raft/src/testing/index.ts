export * from './linearizability';
