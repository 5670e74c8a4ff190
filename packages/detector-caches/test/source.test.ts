import { describe, expect, it } from 'vitest';
import { parsePath, sourceLines } from '../src/source.js';
import { fixturePath } from './fixtures/series.js';

describe('source lines', () => {
  it('reads the names of a path, leaving out data (keys, indices)', () => {
    expect(parsePath('leaks.cjs › memoize() › cache')).toEqual({ scopes: ['memoize'], names: ['cache'] });
    expect(parsePath('app.state.sessions.alice.history')).toEqual({
      scopes: [],
      names: ['app', 'state', 'sessions', 'alice', 'history'],
    });
    expect(parsePath('a.js › timings.get(<string #123abc>)')).toEqual({ scopes: [], names: ['timings'] });
    expect(parsePath('a.js › module.exports.cache')).toEqual({ scopes: [], names: ['cache'] });
    expect(parsePath('reg.get("x(y)").list[3].items')).toEqual({
      scopes: [],
      names: ['reg', 'list', 'items'],
    });
    expect(parsePath('counters[<string #3ac6bc>].hits')).toEqual({ scopes: [], names: ['counters', 'hits'] });
  });

  it('points at the line that creates the collection, else the anchor', () => {
    const lines = sourceLines();
    const leaks = fixturePath('leaks.cjs');
    expect(lines.site(leaks, 'leaks.cjs › sessionCache')).toEqual({ file: leaks, line: 6 });
    expect(lines.site(leaks, 'leaks.cjs › memoize() › cache')).toEqual({ file: leaks, line: 16 });
    expect(lines.site(leaks, 'leaks.cjs › responses.entries')).toEqual({ file: leaks, line: 29 });
    // A name the file does not have: the anchor, or nothing.
    expect(lines.site(leaks, 'leaks.cjs › nowhere', 3)).toEqual({ file: leaks, line: 3 });
    expect(lines.site(leaks, 'leaks.cjs › nowhere')).toBeUndefined();
    // A file that cannot be read: the anchor, or nothing; never a throw.
    expect(lines.site('/does/not/exist.js', 'x › y', 9)).toEqual({ file: '/does/not/exist.js', line: 9 });
    expect(lines.site('relative.js', 'x › y')).toBeUndefined();
    expect(lines.site(`file://${leaks}`, 'leaks.cjs › auditLog')).toEqual({
      file: `file://${leaks}`,
      line: 42,
    });
  });
});
