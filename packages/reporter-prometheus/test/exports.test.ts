import * as pkg from '@leakkit/reporter-prometheus';
import { describe, expect, it } from 'vitest';

// The public surface of @leakkit/reporter-prometheus, pinned: adding, renaming or removing an export is an
// API change and must show up in review as a change to this list. Types are erased at runtime and
// are not listed here.
describe('@leakkit/reporter-prometheus', () => {
  it('exports exactly these names at runtime', () => {
    expect(Object.keys(pkg).sort()).toEqual(['prometheusReporter']);
  });
});
