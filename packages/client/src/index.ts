export * from './interfaces';
