export * from './fake-clientset';
