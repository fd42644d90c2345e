export * from './rate-limiter';
export * from './rate-limiting-queue';
export * from './workqueue-metrics';
