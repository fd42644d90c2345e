export * from './leader-elector';
