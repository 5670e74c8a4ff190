export const packageName = '@leakkit/detector-caches';
