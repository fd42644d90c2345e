export * from './meta';
export * from './resources';
