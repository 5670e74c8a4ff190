export const packageName = '@leakkit/reporter-console';
