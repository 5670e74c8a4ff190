import * as pkg from '@leakkit/vitest';
import { describe, expect, it } from 'vitest';

// The public surface of @leakkit/vitest, pinned: adding, renaming or removing an export is an API
// change and must show up in review as a change to this list. Types are erased at runtime and are
// not listed here. `@leakkit/vitest/setup` exports nothing: it registers the matchers.
describe('@leakkit/vitest', () => {
  it('exports exactly these names at runtime', () => {
    expect(Object.keys(pkg).sort()).toEqual(['leakkitMatchers', 'toStayBounded']);
  });
});
