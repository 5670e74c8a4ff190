import { LeakkitError } from '@leakkit/core';
import type { TimersOptions } from '@leakkit/detector-timers';
import { timers } from '@leakkit/detector-timers';
import { describe, expect, it } from 'vitest';

function caught(fn: () => unknown): LeakkitError {
  try {
    fn();
  } catch (error) {
    if (error instanceof LeakkitError) return error;
    throw error;
  }
  throw new Error('expected a LeakkitError');
}

describe('timers() options', () => {
  it('is a plain detector with every option defaulted', () => {
    const d = timers();
    expect(d.name).toBe('timers');
    expect(d.priority).toBe(20);
    expect(d.needs).toEqual({ gauges: true, heapGraphs: true });
    expect(typeof d.setup).toBe('function');
    expect(typeof d.check).toBe('function');
  });

  it.each<[TimersOptions, string, string]>([
    [{ registries: 'yes' } as never, 'registries', 'Expected `registries` to be a boolean, got `"yes"`'],
    [{ frames: 0 }, 'frames', 'Expected `frames` to be an integer from 1 to 32, got `0`'],
    [{ frames: 2.5 }, 'frames', 'Expected `frames` to be an integer from 1 to 32, got `2.5`'],
    [{ maxSites: -1 }, 'maxSites', 'Expected `maxSites` to be an integer from 0 to 200, got `-1`'],
    [
      { perfEntriesWarnAt: 2_000_000 },
      'perfEntriesWarnAt',
      'Expected `perfEntriesWarnAt` to be an integer from 1 to 1000000, got `2000000`',
    ],
    [
      { timeoutGrace: 'soon' },
      'timeoutGrace',
      'Expected `timeoutGrace` to be a positive duration in ms or a string like `"30s"`, got `"soon"`',
    ],
    [
      { timeoutGrace: {} as never },
      'timeoutGrace',
      'Expected `timeoutGrace` to be a duration in ms or a string like `"30s"`, got `object`',
    ],
    [
      { names: 'timers' as never },
      'names',
      'Expected `names` to be an array of strings and RegExps, got `"timers"`',
    ],
    [
      { names: ['ok', 3 as never] },
      'names[1]',
      'Expected `names[1]` to be a non-empty string or a RegExp, got `3`',
    ],
  ])('rejects %j with an "Expected …, got …" error', (options, option, message) => {
    const error = caught(() => timers(options));
    expect(error.code).toBe('ERR_LEAKKIT_INVALID_OPTION');
    expect(error.option).toBe(option);
    expect(error.message).toBe(message);
  });

  it('rejects options that are not an object', () => {
    expect(caught(() => timers(null as never)).message).toBe(
      'Expected `options` to be an object, got `null`',
    );
  });

  it('accepts durations as strings and zero grace', () => {
    expect(() => timers({ timeoutGrace: '30s', names: ['samples', /stats\./] })).not.toThrow();
    expect(() => timers({ timeoutGrace: 0 })).not.toThrow();
  });
});
