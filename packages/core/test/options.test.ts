import { LeakkitError, parseDuration, parseSize } from '@leakkit/core';
import { describe, expect, it } from 'vitest';

describe('parseDuration()', () => {
  it('accepts numbers and ms strings', () => {
    expect(parseDuration('interval', 1500)).toBe(1500);
    expect(parseDuration('interval', '1m')).toBe(60_000);
  });
  it('names the option in a typed error', () => {
    const error = (() => {
      try {
        parseDuration('interval', '12 parsecs');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(LeakkitError);
    expect(error).toMatchObject({ code: 'ERR_LEAKKIT_INVALID_OPTION', option: 'interval' });
    expect(String((error as Error).message)).toBe(
      'Expected `interval` to be a positive duration in ms or a string like `"30s"`, got `"12 parsecs"`',
    );
  });
});

describe('parseSize()', () => {
  it('accepts bytes and unit strings', () => {
    expect(parseSize('samplingInterval', 512)).toBe(512);
    expect(parseSize('samplingInterval', '64 KiB')).toBe(65536);
    expect(parseSize('samplingInterval', '1.5MB')).toBe(1_500_000);
  });
  it('rejects negative and unknown units', () => {
    expect(() => parseSize('samplingInterval', -1)).toThrow(/Expected `samplingInterval`/);
    expect(() => parseSize('samplingInterval', '3 parsecs')).toThrow(LeakkitError);
  });
});
