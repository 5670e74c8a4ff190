// `setupFiles: ['@leakkit/vitest/setup']` (or `import '@leakkit/vitest/setup'`): registers the
// matchers with vitest's `expect`, once per test file, and brings their types.
import { expect } from 'vitest';
import { leakkitMatchers } from './matcher.js';
import './types.js';

expect.extend(leakkitMatchers);

// What was registered, for tooling that wants to know (and so the entry is not empty).
export { leakkitMatchers };
