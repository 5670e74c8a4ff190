import * as pkg from '@leakkit/detector-caches';
import { describe, expect, it } from 'vitest';

// The public surface of @leakkit/detector-caches, pinned: adding, renaming or removing an export is an API
// change and must show up in review as a change to this list. Types are erased at runtime and are
// not listed here.
describe('@leakkit/detector-caches', () => {
  it('exports exactly these names at runtime', () => {
    expect(Object.keys(pkg).sort()).toEqual(['caches']);
  });
});
