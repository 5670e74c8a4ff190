import type { CheckBoundedOptions } from '@leakkit/core/testing';
import { toStayBounded } from '@leakkit/vitest';
import '@leakkit/vitest/setup';
import { describe, expect, expectTypeOf, it } from 'vitest';

// What the matcher is checked on: a leak of one object per call and a bounded twin doing the same
// work. The matcher is registered by the setup entry above (the way a config's setupFiles does it).
const kept: { i: number; at: string }[] = [];
const leaky = (i: number) => {
  kept.push({ i, at: `t${i}` });
};
const bounded = (i: number) => ({ i, at: `t${i}` }).at.length;

describe('expect(fn).toStayBounded()', () => {
  it('passes on bounded code', async () => {
    await expect(bounded).toStayBounded();
  });

  it('fails on a leak with the report as its message', async () => {
    let message = '';
    try {
      await expect(leaky).toStayBounded();
    } catch (error) {
      message = (error as Error).message;
    }
    kept.length = 0;
    expect(message).toMatch(/^leakkit: the function is not bounded: 1 leak \(/);
    expect(message).toContain('✗ `matcher.test.ts › kept` keeps 2 objects');
    expect(message).toMatch(/path {3}matcher\.test\.ts › kept/);
    // The site is the push in this file, through vitest's source map.
    expect(message).toMatch(/site {3}packages\/vitest\/test\/matcher\.test\.ts:10:/);
    expect(message).toContain('advice');
    // Terminal-friendly: no colour codes when not on a terminal.
    expect(message.includes('\u001b[')).toBe(false);
  });

  it('passes .not on a leak and fails .not on bounded code, saying so', async () => {
    await expect(leaky).not.toStayBounded();
    kept.length = 0;
    await expect(expect(bounded).not.toStayBounded()).rejects.toThrow(
      /^expected the function not to stay bounded, but it did\n\nleakkit: the function stays bounded/,
    );
  });

  it('passes its options through: an ignored path hides the leak and the report names it', async () => {
    const result = await toStayBounded.call({ isNot: false }, leaky, { ignore: ['matcher.test.ts › kept'] });
    kept.length = 0;
    expect(result.pass).toBe(true);
    expect(result.result?.ignored.map((f) => f.path)).toEqual(['matcher.test.ts › kept']);
    expect(result.message()).toContain('Ignored (matched `ignore`): 1');
  });

  it('fails on something that is not a function', async () => {
    await expect(expect(42).toStayBounded()).rejects.toThrow(
      'expected a function (called once per iteration with its index) to stay bounded, got `42`',
    );
  });

  it('rejects on misuse with leakkit’s error instead of failing the assertion', async () => {
    await expect(expect(bounded).toStayBounded({ iterations: 0 })).rejects.toMatchObject({
      code: 'ERR_LEAKKIT_INVALID_OPTION',
      message: "Expected `iterations` to be an integer ≥ 1 or 'auto', got `0`",
    });
  });

  it('is typed: options are checkBounded’s, the assertion is awaited', () => {
    expectTypeOf(expect(bounded).toStayBounded).parameter(0).toEqualTypeOf<CheckBoundedOptions | undefined>();
    expectTypeOf(expect(bounded).toStayBounded()).toEqualTypeOf<Promise<void>>();
    // Never called: the line only has to fail to type-check.
    // @ts-expect-error -- `iteration` is not an option of checkBounded
    const misspelt = () => expect(bounded).toStayBounded({ iteration: 10 });
    expect(typeof misspelt).toBe('function');
  });
});
