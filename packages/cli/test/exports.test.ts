import * as pkg from '@leakkit/cli';
import { describe, expect, it } from 'vitest';

// The public surface of @leakkit/cli, pinned: adding, renaming or removing an export is an API
// change and must show up in review as a change to this list. Types are erased at runtime and are
// not listed here.
describe('@leakkit/cli', () => {
  it('exports exactly these names at runtime', () => {
    expect(Object.keys(pkg).sort()).toEqual(['exitCodes', 'run']);
  });

  it('documents stable exit codes', () => {
    expect(pkg.exitCodes).toEqual({ ok: 0, leaks: 1, usage: 2, input: 3, internal: 4, commandNotFound: 127 });
  });
});
