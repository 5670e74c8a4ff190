// `setupFiles: ['@leakkit/vitest/setup']` (or `import '@leakkit/vitest/setup'`): registers the
// matchers with vitest's `expect`, once per test file.
import { expect } from 'vitest';
import { leakkitMatchers } from './matcher.js';
import './types.js';

expect.extend(leakkitMatchers);
