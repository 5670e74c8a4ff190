import * as pkg from '@leakkit/vitest';
import * as setup from '@leakkit/vitest/setup';
import { describe, expect, it } from 'vitest';

// The public surface of @leakkit/vitest, pinned: adding, renaming or removing an export is an API
// change and must show up in review as a change to this list. Types are erased at runtime and are
// not listed here. `@leakkit/vitest/setup` registers the matchers and exports what it registered.
describe('@leakkit/vitest', () => {
  it('exports exactly these names at runtime', () => {
    expect(Object.keys(pkg).sort()).toEqual(['leakkitMatchers', 'toStayBounded']);
  });

  it('registers the very matchers it exports from its setup entry', () => {
    expect(Object.keys(setup)).toEqual(['leakkitMatchers']);
    expect(setup.leakkitMatchers).toBe(pkg.leakkitMatchers);
  });
});
